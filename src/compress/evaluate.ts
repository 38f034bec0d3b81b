/**
 * `vectra eval`: how much a container saves and what it costs in quality, streaming both
 * files in chunks. In memory: the Q query vectors, their top-k heaps, and one chunk of each
 * file — never the whole data set.
 *
 * - mean cosine between each original vector and its reconstruction;
 * - recall@k (cosine): Q queries are rows of the original file spread evenly through it
 *   (each excluded from its own results); the truth is exact search over the originals; the
 *   compressed search ranks reconstructed vectors — or, for binary, Hamming distance between
 *   sign codes (the code domain);
 * - recall@k after rescoring: the compressed search's top rescore·k candidates re-ranked by
 *   exact cosine with the originals (read by random access), as the database does;
 * - for binary, the same two for the asymmetric score query · sign(x), which is how the
 *   database's binary storage picks its candidates.
 */
import { statSync } from 'node:fs';
import { TopK } from '../vector/top-k.js';
import { dot, norm } from '../vector/math.js';
import { hammingBytes, packSigns, signDot, signDotTable } from './binary.js';
import { ContainerReader } from './container.js';
import { DEFAULT_CHUNK_ROWS, type Progress } from './files.js';
import { NpyReader } from './npy.js';
import type { Method } from './codec.js';

export interface EvalOptions {
  orig: string;
  comp: string;
  queries?: number;
  k?: number;
  /** Candidates for rescoring, as a multiple of k. */
  rescore?: number;
  chunkRows?: number;
  onProgress?: Progress;
}

export interface EvalReport {
  method: Method;
  vectors: number;
  dim: number;
  originalBytes: number;
  compressedBytes: number;
  ratio: number;
  bytesPerVector: { original: number; compressed: number };
  meanCosine: number;
  queries: number;
  k: number;
  search: 'reconstructed' | 'hamming';
  recall: number;
  rescoreCandidates: number;
  recallRescored: number;
  /** binary only: candidates by query · sign(x) (the database's binary storage) instead of Hamming. */
  signDot?: { recall: number; recallRescored: number };
}

/** Cosine of two vectors (with norms given); two zero vectors count as identical. */
function cosine(a: Float32Array, na: number, b: Float32Array, bOffset: number, nb: number, d: number): number {
  if (na === 0 || nb === 0) return na === nb ? 1 : 0;
  let s = 0;
  for (let j = 0; j < d; j++) s += a[j] * b[bOffset + j];
  return s / (na * nb);
}

function unit(v: Float32Array): Float32Array {
  const n = norm(v);
  return n === 0 ? v : v.map((x) => x / n);
}

export function evaluate(o: EvalOptions): EvalReport {
  const orig = new NpyReader(o.orig);
  let comp: ContainerReader | null = null;
  try {
    comp = new ContainerReader(o.comp);
    const { dim: d, count, method, recordBytes } = comp.info;
    if (orig.dim !== d || orig.rows !== count) {
      throw new Error(`${o.comp} holds ${count} vectors of dimension ${d} but ${o.orig} has ${orig.rows} of dimension ${orig.dim}: they are not the same data`);
    }
    const k = o.k ?? 10;
    const rescore = o.rescore ?? 10;
    const Q = Math.min(o.queries ?? 100, Math.max(count - 1, 0));
    if (!Number.isInteger(k) || k < 1) throw new Error('--k must be a positive integer');
    const kk = Math.min(k, Math.max(count - 1, 1));
    const qRows = Array.from({ length: Q }, (_, i) => Math.floor((i * count) / Q));
    const queries = qRows.map((r) => unit(orig.read(r, 1)));
    const hammingSearch = method === 'binary';
    const qCodes = new Uint8Array(Q * recordBytes);
    const tables = new Float32Array(hammingSearch ? Q * recordBytes * 256 : 0);
    if (hammingSearch) {
      queries.forEach((q, i) => {
        packSigns(q, 1, d, qCodes, i * recordBytes);
        signDotTable(q, d, tables.subarray(i * recordBytes * 256, (i + 1) * recordBytes * 256));
      });
    }
    const truth = qRows.map(() => new TopK(kk));
    const cand = qRows.map(() => new TopK(kk * rescore));
    const candSign = hammingSearch ? qRows.map(() => new TopK(kk * rescore)) : [];

    const chunk = o.chunkRows ?? DEFAULT_CHUNK_ROWS;
    const a = new Float32Array(chunk * d);
    const b = new Float32Array(chunk * d);
    let cosSum = 0;
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const ov = orig.read(start, n, a.subarray(0, n * d));
      const records = comp.records(start, n);
      const rv = b.subarray(0, n * d);
      comp.codec.decode(records, n, rv);
      for (let i = 0; i < n; i++) {
        const row = start + i;
        const oi = ov.subarray(i * d, (i + 1) * d);
        const on = norm(oi);
        const rn = norm(rv.subarray(i * d, (i + 1) * d));
        cosSum += cosine(oi, on, rv, i * d, rn, d);
        for (let q = 0; q < Q; q++) {
          if (qRows[q] === row) continue;
          truth[q].push(on === 0 ? 0 : -dot(queries[q], ov, i * d) / on, row);
          if (hammingSearch) {
            cand[q].push(hammingBytes(qCodes, records, recordBytes, q * recordBytes, i * recordBytes), row);
            candSign[q].push(-signDot(tables, records, i * recordBytes, recordBytes, q * recordBytes * 256), row);
          } else cand[q].push(rn === 0 ? 0 : -dot(queries[q], rv, i * d) / rn, row);
        }
      }
      o.onProgress?.(start + n, count);
    }

    const truthSets = truth.map((t) => new Set(t.sorted().labels));
    /** Hits of the candidates' top k, and of their exact re-ranking (originals read by random access). */
    const score = (heaps: TopK[]) => {
      let hit = 0;
      let hitRescored = 0;
      heaps.forEach((heap, q) => {
        const c = heap.sorted().labels;
        hit += c.slice(0, kk).filter((l) => truthSets[q].has(l)).length;
        const exact = new TopK(kk);
        for (const l of [...c].sort((x, y) => x - y)) {
          const v = orig.read(l, 1);
          const n = norm(v);
          exact.push(n === 0 ? 0 : -dot(queries[q], v) / n, l);
        }
        hitRescored += exact.sorted().labels.filter((l) => truthSets[q].has(l)).length;
      });
      return { recall: Q === 0 ? 1 : hit / (Q * kk), recallRescored: Q === 0 ? 1 : hitRescored / (Q * kk) };
    };
    const main = score(cand);
    const originalBytes = statSync(o.orig).size;
    const compressedBytes = comp.info.fileBytes;
    return {
      method, vectors: count, dim: d, originalBytes, compressedBytes,
      ratio: originalBytes / compressedBytes,
      bytesPerVector: { original: d * orig.header.itemBytes, compressed: recordBytes },
      meanCosine: count === 0 ? 1 : cosSum / count,
      queries: Q, k: kk, search: hammingSearch ? 'hamming' : 'reconstructed',
      recall: main.recall,
      rescoreCandidates: kk * rescore,
      recallRescored: main.recallRescored,
      ...(hammingSearch ? { signDot: score(candSign) } : {}),
    };
  } finally {
    comp?.close();
    orig.close();
  }
}
