/**
 * The built-in sentence embedding recipes over GloVe 6B 100-d word vectors (pure functions;
 * they run inside the embedding workers, see pool.ts).
 *
 * `glove-100d-v1`: lowercase word tokens; each known word weighted by a/(a + p(w)) with p(w)
 * from its frequency rank (Zipf), a = 1e-3 (SIF weighting); a word GloVe lacks (a number, a
 * typo, a name) gets a vector from hashed character trigrams, so it still counts and shares
 * direction with similar spellings; the weighted mean is L2-normalized.
 *
 * `glove-100d-v2`: v1, then SIF's common-component removal: the direction every sentence
 * vector shares (the first principal component of a frequency-weighted sample of
 * SIF-weighted word vectors — what common words contribute to any sentence) is projected
 * out before normalizing, so similarity reflects content words rather than function words.
 *
 * A change of recipe must get a new id: collections remember the id they were built with.
 */
import { dot, norm } from '../vector/math.js';
import type { WordVectors } from './word-vectors.js';

export type SifRecipe = 'glove-100d-v1' | 'glove-100d-v2';
export const SIF_RECIPES: readonly SifRecipe[] = ['glove-100d-v1', 'glove-100d-v2'];

const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;
const SIF_A = 1e-3;
/** Words sampled for the common component: p(w)·weight(w)² peaks near rank 75 and the top 10k carry nearly all of it. */
const COMMON_SAMPLE = 10000;

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
function addRandomDirection(seed: number, out: Float32Array, scale: number): void {
  let x = seed || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] += (((x >>> 0) / 0xffffffff) * 2 - 1) * scale;
  }
}

/** Per-vocabulary tables every recipe shares: built once per set of word vectors. */
interface Lexicon {
  weights: Float32Array;
  /** Normalizer of the Zipf distribution p(rank) ∝ 1/(rank + 1). */
  z: number;
}
const lexicons = new WeakMap<WordVectors, Lexicon>();

function lexicon(g: WordVectors): Lexicon {
  let lex = lexicons.get(g);
  if (lex) return lex;
  const n = g.count;
  const weights = new Float32Array(n);
  let z = 0;
  for (let r = 0; r < n; r++) z += 1 / (r + 1);
  for (let r = 0; r < n; r++) weights[r] = SIF_A / (SIF_A + 1 / (r + 1) / z);
  lex = { weights, z };
  lexicons.set(g, lex);
  return lex;
}

export class GloveSif {
  readonly dimension: number;
  private readonly weights: Float32Array;
  private readonly unknownScale: number;
  /** Unit vector of the common component (v2), or null (v1). */
  private readonly common: Float32Array | null;

  constructor(private readonly g: WordVectors, readonly recipe: SifRecipe) {
    this.dimension = g.dim;
    const lex = lexicon(g);
    this.weights = lex.weights;
    this.unknownScale = g.meanNorm / Math.sqrt(g.dim / 3);
    this.common = recipe === 'glove-100d-v2' ? this.commonComponent(lex.z) : null;
  }

  /**
   * First principal component (uncentered, as in SIF) of the SIF-weighted word vectors,
   * each counted by its probability: power iteration on Σ p(w)·y_w·y_wᵀ.
   */
  private commonComponent(z: number): Float32Array {
    const { dim } = this.g;
    const m = Math.min(COMMON_SAMPLE, this.g.count);
    let u = new Float64Array(dim).fill(1 / Math.sqrt(dim));
    for (let iter = 0; iter < 30; iter++) {
      const next = new Float64Array(dim);
      for (let r = 0; r < m; r++) {
        const w = this.weights[r];
        const p = 1 / (r + 1) / z;
        const v = this.g.row(r);
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += w * v[d] * u[d];
        const c = p * dot * w;
        for (let d = 0; d < dim; d++) next[d] += c * v[d];
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += next[d] * next[d];
      norm = Math.sqrt(norm);
      let change = 0;
      for (let d = 0; d < dim; d++) {
        next[d] /= norm;
        change += Math.abs(next[d] - u[d]);
      }
      u = next;
      if (change < 1e-7) break;
    }
    return Float32Array.from(u);
  }

  /** One L2-normalized sentence vector, written to `out` (zero for a text without tokens). */
  embedInto(text: string, out: Float32Array): void {
    const { dim } = this.g;
    out.fill(0);
    TOKEN.lastIndex = 0;
    const lower = text.toLowerCase();
    let tmp: Float32Array | null = null;
    for (let m = TOKEN.exec(lower); m !== null; m = TOKEN.exec(lower)) {
      const tok = m[0];
      const i = this.g.indexOf(tok);
      if (i >= 0) {
        this.g.addRow(i, this.weights[i], out);
      } else {
        // Unknown: the sum of its trigrams' directions, weighted like a rare word.
        const padded = `<${tok}>`;
        const grams = Math.max(1, padded.length - 2);
        tmp = tmp ? tmp.fill(0) : new Float32Array(dim);
        for (let j = 0; j + 3 <= padded.length || j === 0; j++) addRandomDirection(fnv1a(padded.slice(j, j + 3)), tmp, this.unknownScale / Math.sqrt(grams));
        for (let d = 0; d < dim; d++) out[d] += tmp[d];
      }
    }
    if (this.common) {
      const along = dot(out, this.common);
      for (let d = 0; d < dim; d++) out[d] -= along * this.common[d];
    }
    const n = norm(out);
    if (n > 0) for (let d = 0; d < dim; d++) out[d] /= n;
  }

  embed(text: string): Float32Array {
    const out = new Float32Array(this.dimension);
    this.embedInto(text, out);
    return out;
  }
}
