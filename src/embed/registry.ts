import { VectraError } from '../errors.js';
import type { EmbeddingModel } from './types.js';

/** The models this server knows, by id; one is the default for new collections. */
export class ModelRegistry {
  private readonly models = new Map<string, EmbeddingModel>();

  constructor(models: EmbeddingModel[], readonly defaultId: string) {
    for (const m of models) this.models.set(m.id, m);
    if (!this.models.has(defaultId)) throw new Error(`default model ${defaultId} is not registered`);
  }

  list(): EmbeddingModel[] {
    return [...this.models.values()];
  }

  /** The model, or MODEL_NOT_FOUND naming the ones that exist. */
  get(id: string): EmbeddingModel {
    const m = this.models.get(id);
    if (!m) throw new VectraError('MODEL_NOT_FOUND', `unknown model "${id}"; GET /v1/models lists them (${[...this.models.keys()].join(', ')}), or use "none" to supply vectors yourself`);
    return m;
  }

  /**
   * Start loading the models these collections use (ids unknown here or "none" are skipped);
   * resolves when they are loaded. Models load on first use anyway: this only moves the wait.
   */
  warm(ids: Iterable<string>): Promise<void> {
    const wanted = new Set(ids);
    return Promise.all([...wanted].map((id) => this.models.get(id)?.warm?.())).then(() => undefined);
  }

  /** A collection's model, or a clear 503 when it is no longer configured or cannot run here (saying why). */
  async require(id: string): Promise<EmbeddingModel> {
    const m = this.models.get(id);
    if (!m) throw new VectraError('MODEL_UNAVAILABLE', `this collection's model "${id}" is not configured on this server; vector operations still work`);
    const a = await m.availability();
    if (!a.available) throw new VectraError('MODEL_UNAVAILABLE', `this collection's model "${id}" cannot run on this server (vector operations still work): ${a.reason}`);
    return m;
  }

  /** A model a new collection may use: known (else MODEL_NOT_FOUND) and able to run here (else MODEL_UNAVAILABLE saying what to do). */
  async usable(id: string): Promise<EmbeddingModel> {
    const m = this.get(id);
    const a = await m.availability();
    if (!a.available) throw new VectraError('MODEL_UNAVAILABLE', `${a.reason}; or create the collection with a model GET /v1/models lists as available`);
    return m;
  }
}
