import { VectraError } from '../errors.js';
import { MAX_K, type Collection, type SearchHit, type SearchPlan } from '../engine/index.js';
import { higherIsBetter } from '../vector/math.js';
import type { Reranker } from '../embed/rerank.js';
import type { CollectionService } from './collections.js';
import { isZeroVector, modelOf, type EmbeddingService } from './embedding.js';
import type { Expanded, ExpandSpec, QueryExpander } from './expansion.js';
import { parseQuery, type ParsedQuery } from './query-parse.js';
import { mmr, rrfFuse, RRF_DEFAULTS, weightedFuse, type FusedHit, type Ranked, type Side } from './fusion.js';

export type FusionSpec =
  | 'rrf'
  | 'weighted'
  | { type: 'rrf'; k?: number; weights?: Partial<Record<Side, number>> }
  | { type: 'weighted'; alpha?: number };

export interface SearchBody {
  text?: string;
  /** Numbers, or base64 of little-endian float32s. */
  vector?: number[] | string;
  k?: number;
  ef?: number;
  filter?: Record<string, unknown>;
  mode?: 'dense' | 'keyword' | 'hybrid';
  fusion?: FusionSpec;
  /** Hits taken from each side before fusion, or before MMR picks k of them. */
  candidates?: number;
  rerank?: { type: 'mmr'; lambda?: number } | { type: 'cross-encoder'; model: string };
  highlight?: boolean | { pre: string; post: string };
  return?: 'object' | 'id';
  includeVector?: boolean;
  exact?: boolean;
  /** Take numeric and date constraints out of `text` and apply them as a filter. */
  parse?: boolean | { aliases?: Record<string, string[]> };
  /** One result per document (chunks of documents share `_document`), with its best `size` chunks. */
  group?: { by: 'document'; size?: number };
  /** Query expansion (expansion.ts). */
  expand?: ExpandSpec;
}

/**
 * A hit on its way to the answer: its retrieval score, and what each stage knew of it.
 * `scores`: each side's own score (hybrid) or the retrieval score (cross-encoder), and `rerank`.
 * `ranks`: 1-based, on each side that found it (dense, keyword), and the position MMR picked it at.
 */
export type Candidate = Ranked & { scores?: Partial<Record<Side | 'rerank', number>>; ranks?: Partial<Record<Side | 'mmr', number>> };

export type AnswerHit = SearchHit &
  Pick<Candidate, 'scores' | 'ranks'> & {
    /** Grouped search: the document (null for a record that is not a chunk) and its best chunks. */
    document?: string | null;
    chunks?: Pick<SearchHit, 'id' | 'score' | 'text' | 'highlight'>[];
  };

export interface SearchAnswer {
  results: AnswerHit[];
  took_ms: number;
  plan: SearchPlan | 'hybrid';
  /** Hybrid only: how each side ran. */
  plans?: { dense: SearchPlan; keyword: SearchPlan };
  /** With `parse`: what was understood, the filter applied and the text searched. */
  parsed?: ParsedQuery;
  /** With `expand`: what was searched. */
  expanded?: Expanded;
}

export const DEFAULT_MARKS = { pre: '<mark>', post: '</mark>' };
export const DEFAULT_WEIGHTED_ALPHA = 0.5;
export const DEFAULT_MMR_LAMBDA = 0.5;
/** Most candidates a reranking stage takes: MMR compares each pick with every candidate; a cross-encoder runs a model per candidate. */
export const RERANK_LIMITS = { mmr: 1000, 'cross-encoder': 200 } as const;

export class SearchService {
  constructor(
    private readonly collections: CollectionService,
    private readonly embedding: EmbeddingService,
    private readonly rerankers: Map<string, Reranker> = new Map(),
    private readonly expander: QueryExpander | null = null,
  ) {}

  async search(tenantId: string, name: string, request: SearchBody): Promise<SearchAnswer> {
    const started = performance.now();
    const mode = request.mode ?? 'dense';
    checkInputs(mode, request);
    const c = this.collections.get(tenantId, name);
    let body = request;
    let parsed: ParsedQuery | undefined;
    if (request.parse) {
      if (request.text === undefined) throw new VectraError('INVALID_ARGUMENT', '"parse" reads constraints from "text": give "text"');
      const aliases = typeof request.parse === 'object' ? request.parse.aliases : undefined;
      const namer = await this.embedding.fieldNamer(c);
      parsed = await parseQuery(request.text, c.comparableFields(), namer, aliases);
      const filter = parsed.filter === null ? request.filter : request.filter === undefined ? parsed.filter : { $and: [request.filter, parsed.filter] };
      body = { ...request, text: parsed.query || request.text, filter };
    }
    let answer: SearchAnswer;
    if (body.expand) {
      if (!this.expander) throw new VectraError('MODEL_UNAVAILABLE', 'query expansion is not set up on this server');
      answer = await this.expander.search(c, mode, body, started, (b) => this.run(c, mode, b, started));
    } else if (body.group) {
      if (body.rerank) throw new VectraError('INVALID_ARGUMENT', '"group" and "rerank" cannot be combined yet; use one');
      const k = body.k ?? 10;
      const size = body.group.size ?? DEFAULT_GROUP_SIZE;
      // Enough chunks to fill k documents even when the best ones cluster in a few.
      const pool = Math.min(MAX_K, Math.max(50, k * size * 4));
      answer = await this.run(c, mode, { ...body, k: pool, return: 'object', candidates: body.candidates === undefined ? undefined : Math.max(body.candidates, pool) }, started);
      answer.results = groupByDocument(answer.results, k, size, body.return === 'id');
    } else answer = await this.run(c, mode, body, started);
    return parsed ? { ...answer, parsed } : answer;
  }

  private async run(c: Collection, mode: 'dense' | 'keyword' | 'hybrid', body: SearchBody, started: number): Promise<SearchAnswer> {
    const k = body.k ?? 10;
    const include = body.return === 'id' ? 'id' : 'payload';
    const marks = body.highlight === true ? DEFAULT_MARKS : body.highlight || null;
    const pool = body.rerank ? (body.candidates ?? Math.min(Math.max(4 * k, 50), RERANK_LIMITS[body.rerank.type])) : k;
    if (pool < k) throw new VectraError('INVALID_ARGUMENT', `candidates (${pool}) must be at least k (${k})`);
    // Reranking runs per candidate (MMR: against every pick, on the main thread; a cross-encoder: a transformer pass each).
    if (body.rerank && pool > RERANK_LIMITS[body.rerank.type]) {
      throw new VectraError('INVALID_ARGUMENT', `rerank "${body.rerank.type}" takes at most ${RERANK_LIMITS[body.rerank.type]} candidates (got ${pool}); lower "candidates" or "k"`);
    }
    const took = () => Math.round((performance.now() - started) * 1000) / 1000;

    if (mode === 'hybrid') {
      const perSide = Math.max(pool, body.candidates ?? Math.max(k, 100));
      // The keyword side runs inside the chain: if it throws (a bad filter), the dense side's
      // promise still has a handler — an unhandled rejection would end the process.
      const [dense, keyword] = await Promise.all([
        this.denseSearch(c, body, perSide, 'id'),
        Promise.resolve().then(() => c.keywordSearch({ text: body.text!, k: perSide, filter: body.filter, include: 'id' })),
      ]);
      const fused = fuse(body.fusion, dense.hits, keyword.hits, !higherIsBetter(c.config.metric));
      const results = await this.finish(c, body, fused.slice(0, pool), k, include, marks, false);
      return { results, took_ms: took(), plan: 'hybrid', plans: { dense: dense.plan, keyword: keyword.plan } };
    }

    // Plain dense or keyword: the engine fetches what was asked for in one go.
    if (!body.rerank) {
      const r = mode === 'keyword'
        ? c.keywordSearch({ text: body.text!, k, filter: body.filter, include, includeVector: body.includeVector, highlight: marks ?? undefined })
        : await this.denseSearch(c, body, k, include);
      if (mode === 'dense' && marks && body.text !== undefined) c.highlight(r.hits, body.text, marks);
      return { results: r.hits, took_ms: took(), plan: r.plan };
    }
    const r = mode === 'keyword' ? c.keywordSearch({ text: body.text!, k: pool, filter: body.filter, include: 'id' }) : await this.denseSearch(c, body, pool, 'id');
    const lowerIsBetter = mode === 'dense' && !higherIsBetter(c.config.metric);
    // Each keeps its retrieval rank: a reranked answer is no longer in that order.
    const candidates: Candidate[] = r.hits.map((h, i) => ({ id: h.id, score: h.score, ranks: { [mode]: i + 1 }, ...(body.rerank?.type === 'cross-encoder' ? { scores: { [mode]: h.score } } : {}) }));
    return { results: await this.finish(c, body, candidates, k, include, marks, lowerIsBetter), took_ms: took(), plan: r.plan };
  }

  /**
   * Scores the candidates' texts against the query with a cross-encoder; the k best become
   * the answer, scored by it (`scores.rerank`; candidates without text go last).
   */
  private async crossEncode(c: Collection, modelId: string, query: string, candidates: Candidate[], k: number): Promise<Candidate[]> {
    const model = this.rerankers.get(modelId);
    if (!model) throw new VectraError('MODEL_NOT_FOUND', `unknown reranker "${modelId}"; GET /v1/models lists them under "rerankers" (${[...this.rerankers.keys()].join(', ')})`);
    const texts = new Map(c.hitsFor(candidates, 'payload').map((h) => [h.id, h.text ?? null]));
    const withText = candidates.filter((h) => typeof texts.get(h.id) === 'string');
    const scores = await model.score(query, withText.map((h) => texts.get(h.id)!));
    const scored = withText.map((h, i) => ({ ...h, score: scores[i], scores: { ...h.scores, rerank: scores[i] } }));
    scored.sort((a, b) => b.score - a.score);
    const rest = candidates.filter((h) => typeof texts.get(h.id) !== 'string');
    return [...scored, ...rest].slice(0, k);
  }

  private async denseSearch(c: Collection, body: SearchBody, k: number, include: 'id' | 'payload'): Promise<{ hits: SearchHit[]; plan: SearchPlan }> {
    if (body.vector !== undefined) return c.searchBatched({ vector: body.vector, k, ef: body.ef, filter: body.filter, exact: body.exact, include, includeVector: body.includeVector });
    const vector = await this.embedding.embedQuery(c, body.text!);
    // A zero vector ranks every record alike (cosine 0): the order would be arbitrary. Like an
    // empty text, refused; in hybrid mode the keyword side still decides what matches.
    if ((body.mode ?? 'dense') === 'dense' && isZeroVector(vector)) {
      throw new VectraError('INVALID_ARGUMENT', `"text" has nothing model "${modelOf(c)}" can embed (no word it knows: only whitespace, punctuation or symbols?); its vector would be all zeros and rank records arbitrarily: search with words`);
    }
    return c.searchBatched({ vector, k, ef: body.ef, filter: body.filter, exact: body.exact, include, includeVector: body.includeVector });
  }

  /** Candidates (best first, ids and scores) → reranked if asked (MMR, cross-encoder) → k hits with what the caller asked for. */
  private async finish(c: Collection, body: SearchBody, candidates: Candidate[], k: number, include: 'id' | 'payload', marks: { pre: string; post: string } | null, lowerIsBetter: boolean): Promise<AnswerHit[]> {
    let chosen = candidates.slice(0, k);
    if (body.rerank?.type === 'mmr') {
      const vectors = c.vectorsOf(candidates.map((h) => h.id));
      const order = mmr(candidates, candidates.map((h) => vectors.get(h.id)), k, body.rerank.lambda ?? DEFAULT_MMR_LAMBDA, lowerIsBetter);
      // In pick order, `score` still the relevance (so scores need not descend): ranks.mmr says where MMR put it.
      chosen = order.map((i, at) => ({ ...candidates[i], ranks: { ...candidates[i].ranks, mmr: at + 1 } }));
    } else if (body.rerank?.type === 'cross-encoder') {
      chosen = await this.crossEncode(c, body.rerank.model, body.text!, candidates, k);
    }
    const hits: AnswerHit[] = c.hitsFor(chosen, include, body.includeVector ?? false);
    const extra = new Map(chosen.map((h) => [h.id, h]));
    for (const h of hits) {
      const e = extra.get(h.id)!;
      if (e.scores) h.scores = e.scores;
      if (e.ranks) h.ranks = e.ranks;
    }
    if (marks && body.text !== undefined) c.highlight(hits, body.text, marks);
    return hits;
  }
}

export const DEFAULT_GROUP_SIZE = 3;

/** Hits (best first) → the first k documents, each as its best hit plus its best `size` chunks. */
export function groupByDocument(hits: AnswerHit[], k: number, size: number, idsOnly: boolean): AnswerHit[] {
  const groups = new Map<string, AnswerHit[]>();
  for (const h of hits) {
    const doc = h.metadata?._document;
    const key = typeof doc === 'string' ? `d:${doc}` : `r:${h.id}`;
    const g = groups.get(key);
    if (g) {
      if (g.length < size) g.push(h);
    } else if (groups.size < k) groups.set(key, [h]);
  }
  return [...groups.entries()].map(([key, g]) => {
    const best = g[0];
    const head: AnswerHit = idsOnly ? { id: best.id, score: best.score } : { ...best };
    if (idsOnly && best.scores) head.scores = best.scores;
    if (idsOnly && best.ranks) head.ranks = best.ranks;
    head.document = key.startsWith('d:') ? key.slice(2) : null;
    head.chunks = g.map((h) => (idsOnly ? { id: h.id, score: h.score } : { id: h.id, score: h.score, text: h.text, ...(h.highlight ? { highlight: h.highlight } : {}) }));
    return head;
  });
}

function checkInputs(mode: 'dense' | 'keyword' | 'hybrid', body: SearchBody): void {
  if (mode === 'dense') {
    if ((body.text === undefined) === (body.vector === undefined)) throw new VectraError('INVALID_ARGUMENT', 'give exactly one of "text" or "vector"');
  } else {
    if (body.text === undefined) throw new VectraError('INVALID_ARGUMENT', `mode "${mode}" matches words: give "text"${mode === 'hybrid' ? ' (and optionally "vector" for the dense side)' : ''}`);
    if (mode === 'keyword' && body.vector !== undefined) throw new VectraError('INVALID_ARGUMENT', 'mode "keyword" matches words only: drop "vector", or use mode "hybrid"');
  }
  if (body.fusion !== undefined && mode !== 'hybrid') throw new VectraError('INVALID_ARGUMENT', '"fusion" applies to mode "hybrid" only');
  if (body.rerank?.type === 'cross-encoder' && body.text === undefined) throw new VectraError('INVALID_ARGUMENT', 'a cross-encoder reads the query text: give "text"');
}

function fuse(spec: FusionSpec | undefined, dense: SearchHit[], keyword: SearchHit[], denseLowerIsBetter: boolean): FusedHit[] {
  const d = dense.map((h) => ({ id: h.id, score: h.score }));
  const kw = keyword.map((h) => ({ id: h.id, score: h.score }));
  if (spec === 'weighted' || (typeof spec === 'object' && spec.type === 'weighted')) {
    const alpha = typeof spec === 'object' ? (spec.alpha ?? DEFAULT_WEIGHTED_ALPHA) : DEFAULT_WEIGHTED_ALPHA;
    return weightedFuse(d, kw, alpha, denseLowerIsBetter);
  }
  const o: { k?: number; weights?: Partial<Record<Side, number>> } = typeof spec === 'object' && spec.type === 'rrf' ? spec : {};
  return rrfFuse(d, kw, { k: o.k ?? RRF_DEFAULTS.k, weights: { ...RRF_DEFAULTS.weights, ...o.weights } });
}
