/**
 * Qdrant's dense search: POST /points/search (and /batch), the older route its clients and
 * LangChain still call, and POST /points/query (and /batch) with a vector, a point id to search
 * near, or `{nearest, mmr}`. Scores are Vectra's, which are Qdrant's for each distance: cosine
 * similarity, dot product, Euclidean distance (ascending).
 */
import { VectraError } from '../../errors.js';
import { MAX_K, type Collection, type Metric, type SearchHit } from '../../engine/index.js';
import { dot, l2sq, normalized } from '../../vector/math.js';
import type { CollectionService } from '../collections.js';
import { badInput, given, intOption, isObject, pointOut, refuse, SHARDING, type PointOut } from './common.js';
import { onlyFields } from './fields.js';
import { andFilters, toVectraFilter } from './filter.js';
import { toPointId, toVectraId } from './ids.js';
import { payloadSelector, vectorSelector, type PayloadSelector } from './payload.js';

type Body = Record<string, unknown>;

export type ScoredPoint = PointOut & { version: number; score: number };

/** One dense search, as both routes' bodies come down to. */
interface DenseQuery {
  vector: number[];
  filter?: Record<string, unknown>;
  limit: number;
  offset: number;
  threshold?: number;
  ef?: number;
  exact: boolean;
  payload: PayloadSelector;
  withVector: boolean;
  /** Qdrant's MMR: lambda = 1 − diversity, over this many candidates. */
  mmr?: { lambda: number; candidates: number };
}

/** The kinds of `query` that are not a dense nearest search. */
const OTHER_QUERIES: Record<string, string> = {
  recommend: 'recommend queries',
  discover: 'discover queries',
  context: 'context queries',
  order_by: 'order_by queries',
  fusion: 'fusion queries (there are no prefetches to fuse)',
  rrf: 'rrf queries (there are no prefetches to fuse)',
  formula: 'formula queries',
  sample: 'sample queries',
  relevance_feedback: 'relevance feedback queries',
  indices: 'sparse vectors',
  text: 'inference objects (documents)',
  image: 'inference objects (images)',
  object: 'inference objects',
};

/** Search params: hnsw_ef and exact are Vectra's ef and exact; the rest (quantization rescoring, indexed_only, acorn) change nothing here. */
function searchParams(p: unknown): { ef?: number; exact: boolean } {
  if (!given(p)) return { exact: false };
  if (!isObject(p)) badInput('params', 'expected an object');
  for (const k of Object.keys(p)) if (!['hnsw_ef', 'exact', 'quantization', 'indexed_only', 'acorn', 'idf'].includes(k)) badInput(`params.${k}`, 'unknown search parameter');
  const ef = given(p.hnsw_ef) ? intOption(p.hnsw_ef, 'params.hnsw_ef', 0, 1, MAX_K) : undefined;
  if (given(p.exact) && typeof p.exact !== 'boolean') badInput('params.exact', 'expected true or false');
  return { ef, exact: p.exact === true };
}

function denseVector(v: unknown, at: string): number[] {
  if (!Array.isArray(v)) badInput(at, 'expected an array of numbers');
  if (v.some(Array.isArray)) badInput(at, 'multivectors are not supported by Vectra\'s Qdrant-compatible API');
  return v as number[];
}

function threshold(v: unknown): number | undefined {
  if (!given(v)) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) badInput('score_threshold', 'expected a number');
  return v;
}

/** Qdrant's raw similarity, as its MMR compares points (and the query) with: larger is more alike. */
function similarity(metric: Metric, a: Float32Array, b: Float32Array): number {
  if (metric === 'l2') return -l2sq(a, b);
  return dot(a, b);
}

/**
 * Maximal marginal relevance as Qdrant computes it (lib/shard/src/query/mmr): pick the most
 * relevant first, then repeatedly the candidate maximizing λ · sim(query) − (1 − λ) · max sim
 * to the picked; raw similarities, the points keep their search scores.
 */
function mmrPick(metric: Metric, query: number[], hits: SearchHit[], lambda: number, limit: number): SearchHit[] {
  if (hits.length < 2) return hits;
  const prep = (v: number[]) => (metric === 'cosine' ? normalized(Float32Array.from(v)) : Float32Array.from(v));
  const q = prep(query);
  const vs = hits.map((h) => prep(h.vector!));
  const relevance = vs.map((v) => similarity(metric, q, v));
  const picked: number[] = [];
  const maxSim = new Array<number>(hits.length).fill(-Infinity);
  const left = new Set(hits.keys());
  while (picked.length < Math.min(limit, hits.length)) {
    let best = -1;
    let bestScore = -Infinity;
    for (const i of left) {
      const score = picked.length === 0 ? relevance[i] : lambda * relevance[i] - (1 - lambda) * maxSim[i];
      if (score > bestScore) [best, bestScore] = [i, score];
    }
    picked.push(best);
    left.delete(best);
    for (const i of left) maxSim[i] = Math.max(maxSim[i], similarity(metric, vs[best], vs[i]));
  }
  return picked.map((i) => hits[i]);
}

export class QdrantSearch {
  constructor(
    private readonly collections: CollectionService,
    private readonly maxK: number,
  ) {}

  /** POST /points/search. */
  async search(tenantId: string, name: string, body: Body): Promise<ScoredPoint[]> {
    refuse(body, SHARDING);
    let vector: unknown = body.vector;
    if (isObject(vector)) {
      // NamedVectorStruct: the one unnamed vector is named "".
      if (vector.name !== '' || !('vector' in vector)) badInput('vector', 'named and sparse vectors are not supported by Vectra\'s Qdrant-compatible API: give an array of numbers');
      vector = vector.vector;
    }
    const limit = body.limit ?? body.top;
    if (!given(limit)) badInput('limit', 'is required');
    return this.run(this.collections.get(tenantId, name), {
      vector: denseVector(vector, 'vector'),
      filter: toVectraFilter(body.filter),
      limit: intOption(limit, 'limit', 10, 1, this.maxK),
      offset: intOption(body.offset, 'offset', 0, 0, this.maxK),
      threshold: threshold(body.score_threshold),
      ...searchParams(body.params),
      payload: payloadSelector(body.with_payload, false),
      withVector: vectorSelector(body.with_vector ?? body.with_vectors),
    });
  }

  /** POST /points/search/batch. */
  searchBatch(tenantId: string, name: string, body: Body): Promise<ScoredPoint[][]> {
    if (!Array.isArray(body.searches)) badInput('searches', 'expected an array of search requests');
    // Every body checked before any search starts: a search left running when a later one is refused would reject unheard.
    const searches = body.searches.map((s, i) => onlyFields(s, 'search', `searches[${i}].`));
    return Promise.all(searches.map((s) => this.search(tenantId, name, s)));
  }

  /** POST /points/query. */
  async query(tenantId: string, name: string, body: Body): Promise<{ points: ScoredPoint[] }> {
    refuse(body, { ...SHARDING, prefetch: 'prefetch (multi-stage queries)', lookup_from: 'lookup_from (vectors of another collection)' });
    if (given(body.using) && body.using !== '') badInput('using', 'named vectors are not supported by Vectra\'s Qdrant-compatible API: collections have one unnamed vector');
    if (!given(body.query)) badInput('query', 'is required by Vectra\'s Qdrant-compatible API (a vector, a point id, or {"nearest": …})');
    const c = this.collections.get(tenantId, name);
    let q: unknown = body.query;
    let mmr: DenseQuery['mmr'];
    const limit = intOption(body.limit, 'limit', 10, 1, this.maxK);
    const offset = intOption(body.offset, 'offset', 0, 0, this.maxK);
    if (isObject(q)) {
      const kind = Object.keys(q).find((k) => OTHER_QUERIES[k]);
      if (kind) badInput(`query.${kind}`, `${OTHER_QUERIES[kind]} are not supported by Vectra's Qdrant-compatible API (dense nearest search is)`);
      if (!('nearest' in q)) badInput('query', 'expected a vector, a point id or {"nearest": …}');
      for (const k of Object.keys(q)) if (k !== 'nearest' && k !== 'mmr') badInput(`query.${k}`, 'unknown field of a nearest query');
      if (given(q.mmr)) mmr = this.mmrOf(q.mmr, limit + offset);
      q = q.nearest;
    }
    let filter = toVectraFilter(body.filter);
    let vector: number[];
    if (typeof q === 'number' || typeof q === 'string') {
      // Near a stored point, which (as in Qdrant) is left out of its own results.
      const id = toVectraId(q, 'query');
      const r = c.get(id, { includeVector: true });
      if (!r) throw new VectraError('RECORD_NOT_FOUND', `No point with id ${toPointId(id)} found`);
      vector = r.vector!;
      filter = andFilters(filter, { $not: { $ids: [id] } });
    } else {
      if (isObject(q)) {
        const kind = Object.keys(q).find((k) => OTHER_QUERIES[k]);
        badInput(`query.nearest${kind ? `.${kind}` : ''}`, `${kind ? OTHER_QUERIES[kind] : 'named vectors'} are not supported by Vectra's Qdrant-compatible API: give an array of numbers or a point id`);
      }
      vector = denseVector(q, 'query');
    }
    const points = await this.run(c, {
      vector,
      filter,
      limit,
      offset,
      threshold: threshold(body.score_threshold),
      ...searchParams(body.params),
      payload: payloadSelector(body.with_payload, false),
      withVector: vectorSelector(body.with_vector),
      mmr,
    });
    return { points };
  }

  /** POST /points/query/batch. */
  queryBatch(tenantId: string, name: string, body: Body): Promise<{ points: ScoredPoint[] }[]> {
    if (!Array.isArray(body.searches)) badInput('searches', 'expected an array of query requests');
    const searches = body.searches.map((s, i) => onlyFields(s, 'query', `searches[${i}].`));
    return Promise.all(searches.map((s) => this.query(tenantId, name, s)));
  }

  private mmrOf(m: unknown, wanted: number): DenseQuery['mmr'] {
    if (!isObject(m)) badInput('query.mmr', 'expected {"diversity"?, "candidates_limit"?}');
    for (const k of Object.keys(m)) if (k !== 'diversity' && k !== 'candidates_limit') badInput(`query.mmr.${k}`, 'unknown field of mmr');
    let diversity = 0.5;
    if (given(m.diversity)) {
      if (typeof m.diversity !== 'number' || m.diversity < 0 || m.diversity > 1) badInput('query.mmr.diversity', 'must be a number from 0 to 1');
      diversity = m.diversity;
    }
    return { lambda: 1 - diversity, candidates: intOption(m.candidates_limit, 'query.mmr.candidates_limit', wanted, 1, MAX_K) };
  }

  private async run(c: Collection, q: DenseQuery): Promise<ScoredPoint[]> {
    const wanted = q.limit + q.offset;
    if (wanted > this.maxK) badInput('limit', `limit + offset must be at most ${this.maxK} (VECTRA_MAX_K)`);
    const k = q.mmr ? Math.max(q.mmr.candidates, 1) : wanted;
    const include = q.payload === false ? 'id' : 'payload';
    const ef = q.ef === undefined ? undefined : Math.max(q.ef, k);
    let { hits } = await c.searchBatched({ vector: q.vector, k, ef, filter: q.filter, exact: q.exact, include, includeVector: q.withVector || q.mmr !== undefined });
    const metric = c.config.metric;
    // Qdrant keeps the hits strictly better than the threshold: above it, or below for Euclid.
    const t = q.threshold;
    if (t !== undefined) hits = hits.filter((h) => (metric === 'l2' ? h.score < t : h.score > t));
    if (q.mmr) hits = mmrPick(metric, q.vector, hits, q.mmr.lambda, wanted);
    return hits.slice(q.offset).map((h) => {
      const { id, payload, vector } = pointOut({ id: h.id, metadata: h.metadata ?? {}, vector: q.withVector ? h.vector : undefined }, q.payload, metric);
      // Vectra keeps no per-point version: 0, as a point that was never updated has in Qdrant.
      return { id, version: 0, score: h.score, ...(payload ? { payload } : {}), ...(vector ? { vector } : {}) };
    });
  }
}
