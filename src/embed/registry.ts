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

  /** For collections that remember a model which is no longer configured: a clear 503. */
  require(id: string): EmbeddingModel {
    const m = this.models.get(id);
    if (!m || !m.available()) throw new VectraError('MODEL_UNAVAILABLE', `this collection's model "${id}" is not available on this server; vector operations still work`);
    return m;
  }
}
