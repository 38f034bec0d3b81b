/**
 * Index advice: which index, vector storage and ef suit this collection, measured on a sample
 * of its own vectors (advice-trials.ts) and extrapolated — saying so — to its full size.
 */
import { DEFAULT_HNSW, pqTrainAt, type Collection, type StorageType } from '../../engine/index.js';
import { mulberry32 } from '../../random.js';
import { prepareVector } from '../../vector/math.js';
import { ADVICE_K, buildOracle, exactNeighbours, reaching, RECALL_TARGETS, runTrial, type RecallPoint, type Trial, type TrialSetup } from './advice-trials.js';
import { sampleIndices } from './math.js';
import { readVectors } from './read.js';

export interface AdviceRequest {
  /** Vectors the temporary indexes hold (default ADVICE_SAMPLE.default). */
  sample?: number;
  /** Held-out sampled vectors used as queries when no recorded queries are given. */
  queries?: number;
  seed?: number;
}

export interface AdviceOptions {
  /**
   * Recorded searches' query vectors (as given; prepared here for the metric). When present,
   * they are the queries instead of held-out vectors: the seam for a collection's search log.
   */
  queries?: Float32Array[];
}

export interface Candidate {
  index: 'hnsw' | 'flat';
  storage: StorageType;
  /** The smallest ef tried reaching recall@10 ≥ 0.95 / 0.99 (null: none did). */
  efFor95: number | null;
  efFor99: number | null;
  recallAt: RecallPoint[];
  bytesPerVector: number;
  /** bytesPerVector × the collection's count: an extrapolation. */
  estimatedBytes: number;
  buildMs: number;
}

export interface Recommendation {
  index: 'hnsw' | 'flat';
  storage: StorageType;
  ef: number | null;
  expectedRecall: number;
  bytesPerVector: number;
  estimatedBytes: number;
  /** The body of POST /v1/collections that sets it up. */
  config: { index: { type: 'hnsw'; m: number; efConstruction: number; efSearch: number } | { type: 'flat' }; storage: StorageType };
}

export interface AdviceAnswer {
  recommendation: Recommendation;
  reasons: string[];
  collection: { count: number; dimension: number; metric: string; index: string; storage: StorageType; efSearch: number | null };
  sample: { vectors: number; queries: number; queriesFrom: 'held-out sampled vectors' | 'recorded searches'; k: number; seed: number };
  candidates: Candidate[];
  notMeasured: { storage: StorageType; reason: string }[];
  method: string;
  tookMs: number;
}

export const ADVICE_SAMPLE = { default: 5000, min: 100, max: 20_000 } as const;
/**
 * The default sample shrinks for long vectors so the answer comes in seconds: at most this many
 * floats (5000 × 768-d took 8 s on our 2-core machine, most of it building the three graphs).
 */
const DEFAULT_SAMPLE_FLOATS = 2_000_000;

export function defaultAdviceSample(dimension: number): number {
  return Math.max(ADVICE_SAMPLE.min, Math.min(ADVICE_SAMPLE.default, Math.floor(DEFAULT_SAMPLE_FLOATS / dimension)));
}
export const ADVICE_QUERIES = { default: 200, min: 10, max: 1000 } as const;
/** Below this many records an exact scan is recommended without building graphs. */
export const EXACT_BELOW = 1000;
/** A candidate may be this many times slower (estimated at full size) than the fastest and still win on memory. */
const SLOWER_ALLOWED = 3;

const GB = 1024 ** 3;
function bytes(n: number): string {
  if (n >= GB) return `${(n / GB).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

const name = (c: { index: string; storage: StorageType }) => (c.index === 'flat' && c.storage === 'f32' ? 'exact (flat f32)' : `${c.index} ${c.storage}`);

/** Estimated µs per query at `total` vectors from `us` measured at `n`: scans grow linearly, graph walks about with log n. */
function atFullSize(c: { index: string; storage: StorageType }, us: number, n: number, total: number): number {
  if (total <= n) return us;
  return c.index === 'flat' ? (us * total) / n : (us * Math.log(total)) / Math.log(Math.max(2, n));
}

export async function adviseCollection(c: Collection, req: AdviceRequest, opts: AdviceOptions = {}): Promise<AdviceAnswer> {
  const started = performance.now();
  const seed = req.seed ?? 42;
  const rng = mulberry32(seed);
  const { metric, dimension: d } = c.config;
  const cfg = c.config.index;
  const ids = c.idsWhere();
  const total = ids.length;
  const recorded = opts.queries !== undefined && opts.queries.length > 0;
  const small = ids.length < EXACT_BELOW;
  // A small collection is scanned whole; its queries are its own vectors (only the time is measured).
  const qWanted = recorded || small ? 0 : Math.min(req.queries ?? ADVICE_QUERIES.default, Math.floor(ids.length / 5));
  const baseWanted = Math.min(req.sample ?? defaultAdviceSample(d), ids.length - qWanted);
  const picked = sampleIndices(ids.length, qWanted + baseWanted, rng).map((i) => ids[i]);
  const cosine = metric === 'cosine';
  const held = await readVectors(c, picked.slice(0, qWanted), cosine);
  const baseRead = await readVectors(c, picked.slice(qWanted), cosine);
  const queries = recorded ? opts.queries!.map((q) => prepareVector(metric, q)) : small ? baseRead.vectors.slice(0, 100) : held.vectors;
  const n = baseRead.vectors.length;
  const base = new Float32Array(n * d);
  baseRead.vectors.forEach((v, i) => base.set(v, i * d));

  const setup: TrialSetup = { metric, dimension: d, m: cfg.type === 'hnsw' ? cfg.m : DEFAULT_HNSW.m, efConstruction: cfg.type === 'hnsw' ? cfg.efConstruction : DEFAULT_HNSW.efConstruction };
  const { oracle } = await buildOracle(setup, base, n);
  const truth = await exactNeighbours(oracle, queries, ADVICE_K);

  const kinds: { index: 'hnsw' | 'flat'; storage: StorageType }[] = [{ index: 'flat', storage: 'f32' }];
  const notMeasured: AdviceAnswer['notMeasured'] = [];
  if (!small) {
    kinds.push({ index: 'hnsw', storage: 'f32' }, { index: 'hnsw', storage: 'f16' });
    if (metric === 'cosine') kinds.push({ index: 'hnsw', storage: 'i8' });
    else notMeasured.push({ storage: 'i8', reason: 'i8 storage needs the cosine metric' });
    if (metric !== 'l2') kinds.push({ index: 'flat', storage: 'binary' });
    else notMeasured.push({ storage: 'binary', reason: 'binary storage needs the cosine or dot metric' });
  }
  notMeasured.push({
    storage: 'pq',
    reason: `not measured here: training PQ codebooks (k-means on ${pqTrainAt(8)}+ vectors per sub-space) is seconds of synchronous work; evaluate it offline with \`vectra compress\` on an export of the collection`,
  });

  const trials: Trial[] = [];
  for (const kind of kinds) trials.push(await runTrial(kind, setup, base, n, queries, truth));
  const candidates: Candidate[] = trials.map((t) => ({
    index: t.index,
    storage: t.storage,
    efFor95: reaching(t.curve, RECALL_TARGETS[0])?.ef ?? null,
    efFor99: reaching(t.curve, RECALL_TARGETS[1])?.ef ?? null,
    recallAt: t.curve.map((p) => ({ ef: p.ef, recall: Math.round(p.recall * 1e4) / 1e4, usPerQuery: Math.round(p.usPerQuery * 10) / 10 })),
    bytesPerVector: t.bytesPerVector,
    estimatedBytes: t.bytesPerVector * total,
    buildMs: Math.round(t.buildMs),
  }));

  const exact = candidates[0];
  const exactPoint = exact.recallAt[0];
  const reasons: string[] = [];
  let pick: Candidate;
  let point: RecallPoint;
  const f32Bytes = 4 * d * total;
  if (small) {
    pick = exact;
    point = exactPoint;
    reasons.push(
      `${total} records: an exact scan answers a query in ${exactPoint.usPerQuery.toFixed(0)} µs (measured) with recall 1; below ${EXACT_BELOW} records a graph saves nothing worth its memory and build time`,
    );
  } else {
    const reached = candidates.flatMap((cand) => {
      const p = reaching(cand.recallAt, RECALL_TARGETS[0]);
      return p ? [{ cand, p, us: atFullSize(cand, p.usPerQuery, n, total) }] : [];
    });
    const fastest = Math.min(...reached.map((r) => r.us));
    const eligible = reached.filter((r) => r.us <= SLOWER_ALLOWED * fastest);
    const best = eligible.reduce((a, b) => (b.cand.bytesPerVector < a.cand.bytesPerVector || (b.cand.bytesPerVector === a.cand.bytesPerVector && b.us < a.us) ? b : a));
    pick = best.cand;
    point = best.p;
    const ratio = pick.bytesPerVector / exact.bytesPerVector;
    const how = pick.index === 'hnsw' ? `reaches recall@10 ${point.recall.toFixed(3)} (target 0.95) at ef ${point.ef}` : pick.storage === 'binary' ? `reaches recall@10 ${point.recall.toFixed(3)} (target 0.95) with ${point.ef} candidates rescored` : 'is exact (recall 1)';
    reasons.push(`${name(pick)} ${how} on ${n} sampled vectors, using ${pick.bytesPerVector} bytes per vector in the index, ${ratio < 1 ? `1/${(1 / ratio).toFixed(1)} of` : `${ratio.toFixed(2)}×`} float32's ${exact.bytesPerVector}`);
    reasons.push(
      `extrapolated to your ${total.toLocaleString('en-US')} × ${d} vectors: ~${bytes(pick.bytesPerVector * total)} for ${name(pick)}'s index, against ${bytes(f32Bytes)} as raw float32 (an estimate: bytes per vector × count)`,
    );
    reasons.push(`it was the least memory among the candidates reaching 0.95 whose estimated search time at full size is within ${SLOWER_ALLOWED}× of the fastest (${(fastest / 1000).toFixed(2)} ms)`);
    for (const r of reached) if (!eligible.includes(r)) reasons.push(`${name(r.cand)} reaches 0.95 with ${r.cand.bytesPerVector} bytes per vector, but its estimated search time at full size (${(r.us / 1000).toFixed(2)} ms) is over ${SLOWER_ALLOWED}× the fastest`);
    for (const cand of candidates) if (!reached.some((r) => r.cand === cand)) reasons.push(`${name(cand)} did not reach 0.95 at any breadth tried (best ${Math.max(...cand.recallAt.map((p) => p.recall)).toFixed(3)})`);
    if (pick.index === 'hnsw' && total > n) {
      reasons.push(`the ef is measured on a graph of ${n} vectors: a graph of all ${total.toLocaleString('en-US')} needs more breadth for the same recall, so start there, measure, and raise it (or ask again with a larger sample)`);
    }
    if (pick.index === 'hnsw' && pick.efFor99 !== null) reasons.push(`for recall 0.99, ${name(pick)} needs ef ${pick.efFor99}`);
  }
  const hnsw = pick.index === 'hnsw';
  const config: Recommendation['config'] = hnsw
    ? { index: { type: 'hnsw', m: setup.m, efConstruction: setup.efConstruction, efSearch: point.ef }, storage: pick.storage }
    : { index: { type: 'flat' }, storage: pick.storage };
  const recommendation: Recommendation = {
    index: pick.index,
    storage: pick.storage,
    ef: hnsw || pick.storage === 'binary' ? point.ef : null,
    expectedRecall: point.recall,
    bytesPerVector: pick.bytesPerVector,
    estimatedBytes: pick.estimatedBytes,
    config,
  };
  const method =
    `${n} of ${total} vectors drawn at random (seed ${seed})${cosine ? ', as unit vectors' : ''}; ${queries.length} queries (${recorded ? 'recorded searches' : 'further sampled vectors, held out of the indexes'}); ` +
    `each candidate built in memory with the engine's own index (m ${setup.m}, efConstruction ${setup.efConstruction}) and searched as the engine searches it (compressed candidates rescored exactly); ` +
    `recall@${ADVICE_K} against an exact flat index over the same sample; ef raised until recall ≥ 0.99. Memory: the index's own bytes-per-vector accounting, not a process measurement. ` +
    `Search time: the median single-threaded wall time of a query at the sample size, on this server while it served other requests.`;
  return {
    recommendation,
    reasons,
    collection: { count: total, dimension: d, metric, index: cfg.type, storage: c.config.storage, efSearch: cfg.type === 'hnsw' ? cfg.efSearch : null },
    sample: { vectors: n, queries: queries.length, queriesFrom: recorded ? 'recorded searches' : 'held-out sampled vectors', k: ADVICE_K, seed },
    candidates,
    notMeasured,
    method,
    tookMs: Math.round(performance.now() - started),
  };
}
