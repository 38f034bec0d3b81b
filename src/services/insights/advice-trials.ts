/**
 * Index advice, the measuring half: temporary in-memory indexes built with the engine's own
 * index classes over a sample of a collection's vectors, searched the way the engine searches
 * them (the same candidate counts, rescored exactly as the search planner does), and scored
 * against the exact answer (a flat index: the oracle). Every build and every batch of queries
 * yields the event loop.
 */
import { createIndex, FlatIndex, HnswIndex, RESCORE_FACTOR, resolveConfig, vectorBytes, type Metric, type StorageType, type VectorIndex } from '../../engine/index.js';
import { exactScore, higherIsBetter } from '../../vector/math.js';
import { TopK } from '../../vector/top-k.js';
import { pause } from './read.js';

export const ADVICE_K = 10;
export const RECALL_TARGETS = [0.95, 0.99] as const;
/** Graph search breadths tried, smallest first (each must be ≥ k). */
const EF_LADDER = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048];
/**
 * Vectors added to a temporary index per native call, between turns of the event loop: adapted
 * so that a call takes about ADD_SLICE_MS (a graph insert costs ~0.1 ms at 100-d, several at
 * 1536-d with efConstruction 200), from ADD_FIRST.
 */
const ADD_SLICE_MS = 10;
const ADD_FIRST = 8;
/** The longest run of queries between turns of the event loop. */
const QUERY_SLICE_MS = 10;

/** `await due()` after each unit of work: pauses once QUERY_SLICE_MS have passed since the last pause. */
function slices(): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    if (performance.now() - last < QUERY_SLICE_MS) return undefined;
    return pause().then(() => {
      last = performance.now();
    });
  };
}

export interface TrialSetup {
  metric: Metric;
  dimension: number;
  /** Graph settings of the candidates (the collection's, or the engine's defaults). */
  m: number;
  efConstruction: number;
}

export interface RecallPoint {
  /** Graph breadth (HNSW) or candidates rescored (binary scan). */
  ef: number;
  recall: number;
  /** Median wall time of one search (with its exact rescoring), single-threaded, in µs: robust to a GC pause or a busy neighbour. */
  usPerQuery: number;
}

export interface Trial {
  index: 'hnsw' | 'flat';
  storage: StorageType;
  /** Bytes the index accounts per vector (its own bookkeeping, not a process measurement). */
  bytesPerVector: number;
  buildMs: number;
  /** The recall measured at each ef tried, until it reached the last target. */
  curve: RecallPoint[];
}

/** The exact top k of each query (labels are positions in `base`). */
export async function exactNeighbours(oracle: FlatIndex, queries: readonly Float32Array[], k: number): Promise<Set<number>[]> {
  const out: Set<number>[] = [];
  const due = slices();
  for (let i = 0; i < queries.length; i++) {
    out.push(new Set(oracle.search(queries[i], k).labels));
    await due();
  }
  return out;
}

async function fill(index: VectorIndex, base: Float32Array, n: number, d: number): Promise<number> {
  const t = performance.now();
  let batch = ADD_FIRST;
  for (let from = 0; from < n; ) {
    const to = Math.min(n, from + batch);
    const s = performance.now();
    index.add(Array.from({ length: to - from }, (_, i) => from + i), base.subarray(from * d, to * d));
    const took = performance.now() - s;
    batch = Math.max(8, Math.min(4096, Math.round((batch * ADD_SLICE_MS) / Math.max(took, 0.5))));
    from = to;
    await pause();
  }
  return performance.now() - t;
}

/** The oracle: an exact flat index over the base vectors (prepared for the metric). */
export async function buildOracle(setup: TrialSetup, base: Float32Array, n: number): Promise<{ oracle: FlatIndex; buildMs: number }> {
  const oracle = new FlatIndex(setup.dimension, setup.metric, n);
  return { oracle, buildMs: await fill(oracle, base, n, setup.dimension) };
}

/**
 * Recall@k and time of one candidate at one breadth: candidates as the search planner takes
 * them (k × RESCORE_FACTOR, or ef for a scan of codes), rescored exactly from the full vectors
 * when the index's distances are not exact.
 */
async function measureAt(
  index: VectorIndex,
  storage: StorageType,
  setup: TrialSetup,
  base: Float32Array,
  queries: readonly Float32Array[],
  truth: readonly Set<number>[],
  ef: number,
): Promise<RecallPoint> {
  const d = setup.dimension;
  const k = ADVICE_K;
  const scanned = index.kind === 'binary' || index.kind === 'pq';
  const want = scanned ? Math.max(ef, k * RESCORE_FACTOR[storage]) : k * RESCORE_FACTOR[storage];
  const breadth = Math.max(ef, want);
  const sign = higherIsBetter(setup.metric) ? -1 : 1;
  let hits = 0;
  const times = new Float64Array(queries.length);
  const due = slices();
  for (let qi = 0; qi < queries.length; qi++) {
    const q = queries[qi];
    const t = performance.now();
    const found = index.search(q, want, breadth);
    let labels = found.labels;
    if (!index.exactDistances) {
      const top = new TopK(k);
      for (const l of labels) top.push(sign * exactScore(setup.metric, q, base.subarray(l * d, (l + 1) * d)), l);
      labels = top.sorted().labels;
    }
    times[qi] = performance.now() - t;
    const exact = truth[qi];
    for (const l of labels.slice(0, k)) if (exact.has(l)) hits++;
    await due();
  }
  const possible = truth.reduce((s, t) => s + t.size, 0);
  times.sort();
  return { ef, recall: possible === 0 ? 1 : hits / possible, usPerQuery: 1000 * (times[times.length >> 1] ?? 0) };
}

/** Build the candidate (`hnsw` with f32/f16/i8, or a flat scan of binary codes) and walk up the ef ladder until recall ≥ the last target. */
export async function runTrial(
  kind: { index: 'hnsw' | 'flat'; storage: StorageType },
  setup: TrialSetup,
  base: Float32Array,
  n: number,
  queries: readonly Float32Array[],
  truth: readonly Set<number>[],
): Promise<Trial> {
  const config = resolveConfig({
    dimension: setup.dimension,
    metric: setup.metric,
    storage: kind.storage,
    index: kind.index === 'hnsw' ? { type: 'hnsw', m: setup.m, efConstruction: setup.efConstruction } : { type: 'flat' },
  });
  const index = createIndex(config);
  try {
    const buildMs = await fill(index, base, n, setup.dimension);
    const bytesPerVector = index instanceof HnswIndex ? index.bytesPerNode : vectorBytes(config);
    const curve: RecallPoint[] = [];
    const ladder =
      kind.storage === 'binary'
        ? [...new Set([1, 2, 4, 8, 16, 32].map((f) => Math.min(n, f * ADVICE_K * RESCORE_FACTOR.binary)))]
        : kind.index === 'flat'
          ? [ADVICE_K]
          : EF_LADDER.filter((ef) => ef <= Math.max(ADVICE_K, n));
    for (const ef of ladder) {
      const point = await measureAt(index, kind.storage, setup, base, queries, truth, ef);
      curve.push(point);
      if (point.recall >= RECALL_TARGETS[RECALL_TARGETS.length - 1]) break;
    }
    return { index: kind.index, storage: kind.storage, bytesPerVector, buildMs, curve };
  } finally {
    index.dispose?.();
  }
}

/** The first point of a curve reaching `target`, or null. */
export function reaching(curve: readonly RecallPoint[], target: number): RecallPoint | null {
  return curve.find((p) => p.recall >= target) ?? null;
}
