/**
 * Nearest words of the built-in model's GloVe 6B 100-d vectors: the thesaurus query expansion
 * reads ("car" → vehicle, truck, cars). It only rewrites text, so it serves a collection of any
 * model. Neighbours are drawn from the THESAURUS_ROWS most frequent words (the rarer rows are
 * mostly names, typos and numbers), by exact cosine: the rows are copied once, L2-normalized,
 * into a 20 MB matrix, searched by usearch's SIMD brute force (measured on GloVe: ~0.8 ms a
 * word over 50k rows, against ~5.7 ms for a JavaScript loop; an HNSW graph would cost seconds
 * to build for no gain at this size).
 */
import { createRequire } from 'node:module';
import type * as Usearch from 'usearch';
import { STOPWORDS } from '../stopwords.js';
import { sharedWordVectors, type SharedGlove, type WordVectors } from './word-vectors.js';

const { exactSearch } = createRequire(import.meta.url)('usearch') as typeof Usearch;

/** Frequent words neighbours are drawn from. */
export const THESAURUS_ROWS = 50_000;
/** Most words of one text that get neighbours: the rarest (the most telling) ones. */
export const MAX_EXPANDED_WORDS = 16;
/**
 * Words this frequent are not expanded ("said", "year", "two", "during", "made"): the built-in
 * model itself weighs them down (SIF weight below ~2/3 up to here) and their neighbours are
 * more of the same ("two" → three, four).
 */
export const COMMON_ROWS = 150;
/** Most neighbours per word. */
export const MAX_TERMS = 5;

export interface Neighbour {
  word: string;
  /** Cosine similarity of the two words' vectors. */
  similarity: number;
}

export interface WordNeighbours {
  word: string;
  /** The word's frequency rank in the model's vocabulary (0: the most frequent): higher is rarer. */
  rank: number;
  neighbours: Neighbour[];
}

export interface ExpandOptions {
  /** Neighbours per word (≤ MAX_TERMS). */
  terms: number;
  /** Neighbours less similar than this are left out. */
  minSimilarity: number;
}

const WORD = /\p{L}+(?:['’]\p{L}+)?/gu;
const LETTERS = /^\p{L}+$/u;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Thesaurus {
  private matrix: Promise<Float32Array> | null = null;
  private readonly rows: number;

  /** `wordAt(i)`: the word of row i (rows most frequent first, as in GloVe). */
  constructor(private readonly vectors: WordVectors, private readonly wordAt: (row: number) => string, rows = THESAURUS_ROWS) {
    this.rows = Math.min(rows, vectors.count);
  }

  /** Over the shared form the embedding workers use (builtin.ts): no second copy of the word table. */
  static ofShared(glove: SharedGlove, rows = THESAURUS_ROWS): Thesaurus {
    const bytes = new Uint8Array(glove.words);
    const starts = new Uint32Array(glove.starts);
    const decoder = new TextDecoder();
    return new Thesaurus(sharedWordVectors(glove), (i) => decoder.decode(bytes.subarray(starts[i], starts[i + 1] - 1)), rows);
  }

  /** The unit rows, built on first use in chunks (the event loop keeps turning). */
  private unitRows(): Promise<Float32Array> {
    this.matrix ??= (async () => {
      const { dim } = this.vectors;
      const m = new Float32Array(this.rows * dim);
      for (let r = 0; r < this.rows; r++) {
        if (r % 8192 === 8191) await turn();
        const v = this.vectors.row(r);
        let n = 0;
        for (let d = 0; d < dim; d++) n += v[d] * v[d];
        n = Math.sqrt(n) || 1;
        for (let d = 0; d < dim; d++) m[r * dim + d] = v[d] / n;
      }
      return m;
    })();
    return this.matrix;
  }

  /**
   * The words of `text` worth expanding, in text order: lowercased, known to the model, not
   * stop words nor among its COMMON_ROWS most frequent words, letters only; at most
   * MAX_EXPANDED_WORDS, the rarest kept (GloVe rows go from frequent to rare).
   */
  contentWords(text: string): { word: string; row: number }[] {
    const seen = new Map<string, number>();
    for (const m of text.toLowerCase().matchAll(WORD)) {
      const w = m[0].replace('’', "'");
      if (w.length < 2 || STOPWORDS.has(w) || seen.has(w)) continue;
      const row = this.vectors.indexOf(w);
      if (row >= COMMON_ROWS) seen.set(w, row);
    }
    const all = [...seen].map(([word, row]) => ({ word, row }));
    if (all.length <= MAX_EXPANDED_WORDS) return all;
    const keep = new Set([...all].sort((a, b) => b.row - a.row).slice(0, MAX_EXPANDED_WORDS).map((x) => x.word));
    return all.filter((x) => keep.has(x.word));
  }

  /**
   * Each content word of `text` with its nearest words: most similar first, at least
   * `minSimilarity`, letters only, never a stop word, a common word (COMMON_ROWS), a word of
   * the text or a neighbour another word of the text already brought.
   */
  async expand(text: string, o: ExpandOptions): Promise<WordNeighbours[]> {
    const words = this.contentWords(text);
    if (words.length === 0) return [];
    const matrix = await this.unitRows();
    const { dim } = this.vectors;
    const inText = new Set((text.toLowerCase().match(WORD) ?? []).map((w) => w.replace('’', "'")));
    const taken = new Set<string>();
    const terms = Math.min(o.terms, MAX_TERMS);
    // Room for the word itself, stop words, non-words and repeats among the nearest.
    const count = Math.min(this.rows, terms + 12);
    const out: WordNeighbours[] = [];
    for (const { word, row } of words) {
      const q = Float32Array.from(this.vectors.row(row));
      let n = 0;
      for (let d = 0; d < dim; d++) n += q[d] * q[d];
      if (n === 0) continue;
      n = Math.sqrt(n);
      for (let d = 0; d < dim; d++) q[d] /= n;
      const m = exactSearch(matrix, q, dim, count, 'ip' as Usearch.MetricKind, 1) as Usearch.Matches;
      const neighbours: Neighbour[] = [];
      for (let i = 0; i < m.keys.length && neighbours.length < terms; i++) {
        const similarity = 1 - m.distances[i];
        if (similarity < o.minSimilarity) break;
        const at = Number(m.keys[i]);
        if (at < COMMON_ROWS) continue;
        const w = this.wordAt(at);
        if (inText.has(w) || taken.has(w) || STOPWORDS.has(w) || !LETTERS.test(w)) continue;
        taken.add(w);
        neighbours.push({ word: w, similarity: Math.round(similarity * 1e4) / 1e4 });
      }
      out.push({ word, rank: row, neighbours });
    }
    return out;
  }
}

/** The text with the neighbours' words appended: what an expanded search searches. */
export function expandedText(text: string, words: WordNeighbours[]): string {
  const extra = words.flatMap((w) => w.neighbours.map((n) => n.word));
  return extra.length === 0 ? text : `${text} ${extra.join(' ')}`;
}
