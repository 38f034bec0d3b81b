import { randomInt } from 'node:crypto';
import { VectraError } from '../errors.js';
import { MAX_K, NO_TRACE, SearchTrace, type Collection, type PlanTrace, type SearchHit, type SearchPlan, type StageTime } from '../engine/index.js';
import { toVector } from '../engine/validation.js';
import { instanceOf } from '../realtime/webhooks/pump.js';
import { higherIsBetter } from '../vector/math.js';
import type { Reranker } from '../embed/rerank.js';
import type { CollectionService } from './collections.js';
import { isZeroVector, modelOf, NO_MODEL, type EmbeddingService } from './embedding.js';
import type { Expanded, ExpandSpec, QueryExpander } from './expansion.js';
import { parseQuery, type ParsedQuery } from './query-parse.js';
import { sampleBySoftmax } from './sampling.js';
import { FEEDBACK_DEFAULTS, feedbackRerank, queryKey, signalWeight, type FeedbackStore, type QueryKey, type Scope as FeedbackScope, type Signal } from './feedback.js';
import { mmr, rrfFuse, RRF_DEFAULTS, weightedFuse, type FusedHit, type Ranked, type Side } from './fusion.js';
import type { SearchRecorder } from './insights/recording.js';

export type FusionSpec =
  | 'rrf'
  | 'weighted'
  | { type: 'rrf'; k?: number; weights?: Partial<Record<Side, number>> }
  | { type: 'weighted'; alpha?: number };

export type SearchBody = {
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
  rerank?: { type: 'mmr'; lambda?: number } | { type: 'cross-encoder'; model: string } | { type: 'feedback'; weight?: number; minSimilarity?: number };
  highlight?: boolean | { pre: string; post: string };
  return?: 'object' | 'id';
  includeVector?: boolean;
  exact?: boolean;
  /** Take numeric and date constraints out of `text` and apply them as a filter. */
  parse?: boolean | { aliases?: Record<string, string[]> };
  /** One result per document (chunks of documents share `_document`), with its best `size` chunks. */
  group?: { by: 'document'; size?: number };
  /** Sample the k results from the candidates with probability softmax(score / temperature); 0 = the ranking as it is. */
  temperature?: number;
  /** Makes a sampled answer reproducible (default: a random seed, returned in the answer). */
  seed?: number;
  /** Add `explain` to the answer: the plan and why, each stage's time and candidates, the graph's work. */
  explain?: boolean;
  /** Query expansion (expansion.ts). */
  expand?: ExpandSpec;
  /** Scale-out: "strong" waits until this node has applied every write committed before the request. */
  consistency?: 'eventual' | 'strong';
  /** Scale-out: wait until this node has applied the collection up to this seq (a write answer's). */
  minSeq?: number;
};

/** How a search waits for its node to be as current as it asks (scale-out; the embedded mode is always current). */
export type Consistency = (tenantId: string, name: string, c: Collection, want: { strong: boolean; minSeq?: number }) => Promise<void>;

/** The embedded mode: the local collection is the truth; a seq it has not reached was never given out. */
export const localConsistency: Consistency = async (_t, name, c, want) => {
  if (want.minSeq !== undefined && want.minSeq > c.seq) throw new VectraError('INVALID_ARGUMENT', `minSeq ${want.minSeq} is ahead of collection "${name}"'s latest seq ${c.seq}`);
};

/** What a search did (`explain: true`): docs/insights.md, "Explain and replay". */
export interface SearchExplain extends PlanTrace {
  /** Hybrid: how each side ran. */
  sides?: Partial<Record<Side, PlanTrace>>;
  /** The stages that ran, in the order they first ran, ms to the microsecond. */
  stages: StageTime[];
  /** From the request's arrival at the service to the explanation (the answer's took_ms, plus grouping). */
  total_ms: number;
}

/**
 * A hit on its way to the answer: its retrieval score, and what each stage knew of it.
 * `scores`: each side's own score (hybrid) or the retrieval score (cross-encoder), and `rerank`.
 * `ranks`: 1-based, on each side that found it (dense, keyword), and the position MMR picked it at.
 */
export type Candidate = Ranked & { scores?: Partial<Record<Side | 'rerank' | 'feedback', number>>; ranks?: Partial<Record<Side | 'mmr', number>> };

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
  /** With `temperature` > 0: the seed the sample was drawn with (send it back to get the same answer). */
  seed?: number;
  explain?: SearchExplain;
  /** With `expand`: what was searched. */
  expanded?: Expanded;
}

export const DEFAULT_MARKS = { pre: '<mark>', post: '</mark>' };
export const DEFAULT_WEIGHTED_ALPHA = 0.5;
export const DEFAULT_MMR_LAMBDA = 0.5;
/** Most candidates a reranking stage takes: MMR compares each pick with every candidate; a cross-encoder runs a model per candidate. */
export const RERANK_LIMITS = { mmr: 1000, 'cross-encoder': 200, feedback: 1000 } as const;

/** A signal about one result of a query (POST …/feedback). */
export interface FeedbackBody {
  query?: string;
  vector?: number[] | string;
  id: string;
  signal: Signal;
  value?: number;
  user?: string;
}

export class SearchService {
  constructor(
    private readonly collections: CollectionService,
    private readonly embedding: EmbeddingService,
    private readonly rerankers: Map<string, Reranker> = new Map(),
    /** Records searches of the collections that have recording on (src/services/insights/recording.ts). */
    private readonly recorder?: SearchRecorder,
    private readonly feedbackStore: FeedbackStore | null = null,
    private readonly expander: QueryExpander | null = null,
  ) {}

  /** Record what a user did with a result of a query; the record must exist. */
  async feedback(tenantId: string, keyId: string, name: string, body: FeedbackBody): Promise<void> {
    if ((body.query === undefined) === (body.vector === undefined)) throw new VectraError('INVALID_ARGUMENT', 'give exactly one of "query" (the search text) or "vector" (the query vector)');
    const store = this.requireFeedback();
    const weight = signalWeight(body.signal, body.value);
    const c = this.collections.get(tenantId, name);
    if (c.get(body.id) === null) throw new VectraError('RECORD_NOT_FOUND', `record "${body.id}" does not exist in collection "${name}": feedback is about a result the search returned`);
    const key = await this.queryKeyOf(c, body.query, body.vector);
    store.add(feedbackScope(tenantId, name, c), key, body.id, keyId, body.user, weight);
  }

  /** Forget a dropped collection's feedback. */
  forgetFeedback(tenantId: string, name: string): void {
    this.feedbackStore?.drop(tenantId, name);
  }

  private requireFeedback(): FeedbackStore {
    if (!this.feedbackStore) throw new VectraError('INVALID_ARGUMENT', 'this server keeps no feedback (no feedback store configured)');
    return this.feedbackStore;
  }

  /** The query as feedback keys it: its text (or vector) hashed, and a vector to compare with similar queries when one can be had. */
  private async queryKeyOf(c: Collection, text: string | undefined, vector: number[] | string | undefined): Promise<QueryKey> {
    if (vector !== undefined) return queryKey(text, toVector(vector, c.config.dimension, 'query'));
    const embedded = modelOf(c) === NO_MODEL ? null : await this.embedding.embedQuery(c, text!);
    return queryKey(text, embedded && !isZeroVector(embedded) ? embedded : null);
  }

  private async byFeedback(at: Where, body: SearchBody, spec: { weight?: number; minSimilarity?: number }, candidates: Candidate[], lowerIsBetter: boolean): Promise<Candidate[]> {
    const store = this.requireFeedback();
    const key = await this.queryKeyOf(at.c, body.text, body.vector);
    const votes = store.votes(feedbackScope(at.tenantId, at.name, at.c), key, candidates.map((h) => h.id), spec.minSimilarity ?? FEEDBACK_DEFAULTS.minSimilarity);
    return feedbackRerank(candidates, votes, spec.weight ?? FEEDBACK_DEFAULTS.weight, lowerIsBetter).map(({ boost, combined, ...h }) => ({
      ...h,
      score: combined,
      scores: { ...h.scores, rerank: combined, feedback: boost },
    }));
  }

  /** `record: false`: not recorded even when the collection records its searches (a replay). */
  private consistency: Consistency = localConsistency;

  /** Scale-out: searches asking for `consistency`/`minSeq` wait on the cluster node. */
  useConsistency(fn: Consistency): void {
    this.consistency = fn;
  }

  async search(tenantId: string, name: string, request: SearchBody, opts: { record?: boolean } = {}): Promise<SearchAnswer> {
    const started = performance.now();
    const mode = request.mode ?? 'dense';
    checkInputs(mode, request);
    let c = this.collections.get(tenantId, name);
    if (request.consistency === 'strong' || request.minSeq !== undefined) {
      await this.consistency(tenantId, name, c, { strong: request.consistency === 'strong', minSeq: request.minSeq });
      c = this.collections.get(tenantId, name);
    }
    const t = request.explain ? new SearchTrace() : NO_TRACE;
    let body = request;
    let parsed: ParsedQuery | undefined;
    if (request.parse) {
      if (request.text === undefined) throw new VectraError('INVALID_ARGUMENT', '"parse" reads constraints from "text": give "text"');
      const s = t.start();
      const aliases = typeof request.parse === 'object' ? request.parse.aliases : undefined;
      const namer = await this.embedding.fieldNamer(c);
      parsed = await parseQuery(request.text, c.comparableFields(), namer, aliases);
      const filter = parsed.filter === null ? request.filter : request.filter === undefined ? parsed.filter : { $and: [request.filter, parsed.filter] };
      body = { ...request, text: parsed.query || request.text, filter };
      t.end('parse', s, parsed.constraints.length);
    }
    const sampled = (body.temperature ?? 0) > 0;
    if (sampled) {
      if (body.group) throw new VectraError('INVALID_ARGUMENT', '"temperature" and "group" cannot be combined yet; use one');
      if (body.rerank?.type === 'mmr') throw new VectraError('INVALID_ARGUMENT', '"temperature" samples by score and MMR picks by variety: use one of them');
      body = { ...body, seed: body.seed ?? randomInt(2 ** 32) };
    }
    let answer: SearchAnswer;
    if (body.expand) {
      if (!this.expander) throw new VectraError('MODEL_UNAVAILABLE', 'query expansion is not set up on this server');
      answer = await this.expander.search(c, mode, body, started, (b) => this.run({ tenantId, name, c }, mode, b, started, t));
    } else if (body.group) {
      if (body.rerank) throw new VectraError('INVALID_ARGUMENT', '"group" and "rerank" cannot be combined yet; use one');
      const k = body.k ?? 10;
      const size = body.group.size ?? DEFAULT_GROUP_SIZE;
      // Enough chunks to fill k documents even when the best ones cluster in a few.
      const pool = Math.min(MAX_K, Math.max(50, k * size * 4));
      answer = await this.run({ tenantId, name, c }, mode, { ...body, k: pool, return: 'object', candidates: body.candidates === undefined ? undefined : Math.max(body.candidates, pool) }, started, t);
      const s = t.start();
      answer.results = groupByDocument(answer.results, k, size, body.return === 'id');
      t.end('group', s, answer.results.length);
    } else answer = await this.run({ tenantId, name, c }, mode, body, started, t);
    if (sampled) answer.seed = body.seed;
    if (parsed) answer = { ...answer, parsed };
    if (t.on) answer.explain = explainOf(t, started, answer.plan);
    // A sampled search is recorded with the seed it was drawn with, so that a replay draws the same.
    if (opts.record !== false) this.recorder?.record(c, sampled ? { ...request, seed: body.seed } : request, answer);
    return answer;
  }

  private async run(at: Where, mode: 'dense' | 'keyword' | 'hybrid', body: SearchBody, started: number, t: SearchTrace): Promise<SearchAnswer> {
    const { c } = at;
    const k = body.k ?? 10;
    const include = body.return === 'id' ? 'id' : 'payload';
    const marks = body.highlight === true ? DEFAULT_MARKS : body.highlight || null;
    const sampled = (body.temperature ?? 0) > 0;
    const widest = body.rerank ? RERANK_LIMITS[body.rerank.type] : MAX_K;
    const pool = body.rerank || sampled ? (body.candidates ?? Math.min(Math.max(4 * k, 50), widest)) : k;
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
        this.denseSearch(c, body, perSide, 'id', t.child('dense')),
        Promise.resolve().then(() => c.keywordSearch({ text: body.text!, k: perSide, filter: body.filter, include: 'id', trace: t.child('keyword') })),
      ]);
      const s = t.start();
      const fused = fuse(body.fusion, dense.hits, keyword.hits, !higherIsBetter(c.config.metric));
      t.end('fusion', s, fused.length);
      if (t.on) t.setPlan({ plan: 'hybrid', reason: `a dense and a keyword search (${perSide} candidates each), fused by ${fusionName(body.fusion)}; "sides" says how each ran` });
      const results = await this.finish(at, body, fused.slice(0, pool), k, include, marks, false, t);
      return { results, took_ms: took(), plan: 'hybrid', plans: { dense: dense.plan, keyword: keyword.plan } };
    }

    // Plain dense or keyword: the engine fetches what was asked for in one go.
    if (!body.rerank && !sampled) {
      const r = mode === 'keyword'
        ? c.keywordSearch({ text: body.text!, k, filter: body.filter, include, includeVector: body.includeVector, highlight: marks ?? undefined, trace: t })
        : await this.denseSearch(c, body, k, include, t);
      if (mode === 'dense' && marks && body.text !== undefined) {
        const s = t.start();
        c.highlight(r.hits, body.text, marks);
        t.end('highlight', s);
      }
      return { results: r.hits, took_ms: took(), plan: r.plan };
    }
    const r = mode === 'keyword' ? c.keywordSearch({ text: body.text!, k: pool, filter: body.filter, include: 'id', trace: t }) : await this.denseSearch(c, body, pool, 'id', t);
    const lowerIsBetter = mode === 'dense' && !higherIsBetter(c.config.metric);
    // Each keeps its retrieval rank: a reranked answer is no longer in that order.
    const candidates: Candidate[] = r.hits.map((h, i) => ({ id: h.id, score: h.score, ranks: { [mode]: i + 1 }, ...(body.rerank && body.rerank.type !== 'mmr' ? { scores: { [mode]: h.score } } : {}) }));
    return { results: await this.finish(at, body, candidates, k, include, marks, lowerIsBetter, t), took_ms: took(), plan: r.plan };
  }

  /**
   * Scores the candidates' texts against the query with a cross-encoder: all of them, best
   * first, scored by it (`scores.rerank`; candidates without text go last).
   */
  private async crossEncode(c: Collection, modelId: string, query: string, candidates: Candidate[]): Promise<Candidate[]> {
    const model = this.rerankers.get(modelId);
    if (!model) throw new VectraError('MODEL_NOT_FOUND', `unknown reranker "${modelId}"; GET /v1/models lists them under "rerankers" (${[...this.rerankers.keys()].join(', ')})`);
    const texts = new Map(c.hitsFor(candidates, 'payload').map((h) => [h.id, h.text ?? null]));
    const withText = candidates.filter((h) => typeof texts.get(h.id) === 'string');
    const scores = await model.score(query, withText.map((h) => texts.get(h.id)!));
    const scored = withText.map((h, i) => ({ ...h, score: scores[i], scores: { ...h.scores, rerank: scores[i] } }));
    scored.sort((a, b) => b.score - a.score);
    const rest = candidates.filter((h) => typeof texts.get(h.id) !== 'string');
    return [...scored, ...rest];
  }

  private async denseSearch(c: Collection, body: SearchBody, k: number, include: 'id' | 'payload', t: SearchTrace): Promise<{ hits: SearchHit[]; plan: SearchPlan }> {
    const trace = t.on ? t : undefined;
    if (body.vector !== undefined) return c.searchBatched({ vector: body.vector, k, ef: body.ef, filter: body.filter, exact: body.exact, include, includeVector: body.includeVector, trace });
    const s = t.start();
    const vector = await this.embedding.embedQuery(c, body.text!);
    t.end('embed', s);
    // A zero vector ranks every record alike (cosine 0): the order would be arbitrary. Like an
    // empty text, refused; in hybrid mode the keyword side still decides what matches.
    if ((body.mode ?? 'dense') === 'dense' && isZeroVector(vector)) {
      throw new VectraError('INVALID_ARGUMENT', `"text" has nothing model "${modelOf(c)}" can embed (no word it knows: only whitespace, punctuation or symbols?); its vector would be all zeros and rank records arbitrarily: search with words`);
    }
    return c.searchBatched({ vector, k, ef: body.ef, filter: body.filter, exact: body.exact, include, includeVector: body.includeVector, trace });
  }

  /** Candidates (best first, ids and scores) → reranked if asked (MMR, cross-encoder) → k hits with what the caller asked for. */
  private async finish(at: Where, body: SearchBody, candidates: Candidate[], k: number, include: 'id' | 'payload', marks: { pre: string; post: string } | null, lowerIsBetter: boolean, t: SearchTrace): Promise<AnswerHit[]> {
    const { c } = at;
    let chosen: Candidate[];
    let s = t.start();
    if (body.rerank?.type === 'mmr') {
      const vectors = c.vectorsOf(candidates.map((h) => h.id));
      const order = mmr(candidates, candidates.map((h) => vectors.get(h.id)), k, body.rerank.lambda ?? DEFAULT_MMR_LAMBDA, lowerIsBetter);
      // In pick order, `score` still the relevance (so scores need not descend): ranks.mmr says where MMR put it.
      chosen = order.map((i, at) => ({ ...candidates[i], ranks: { ...candidates[i].ranks, mmr: at + 1 } }));
    } else if (body.rerank?.type === 'cross-encoder') {
      chosen = pick(await this.crossEncode(c, body.rerank.model, body.text!, candidates), k, body, false);
    } else if (body.rerank?.type === 'feedback') {
      chosen = pick(await this.byFeedback(at, body, body.rerank, candidates, lowerIsBetter), k, body, false);
    } else chosen = pick(candidates, k, body, lowerIsBetter);
    if (body.rerank) t.end('rerank', s, chosen.length);
    s = t.start();
    const hits: AnswerHit[] = c.hitsFor(chosen, include, body.includeVector ?? false);
    t.end('fetch', s, hits.length);
    const extra = new Map(chosen.map((h) => [h.id, h]));
    for (const h of hits) {
      const e = extra.get(h.id)!;
      if (e.scores) h.scores = e.scores;
      if (e.ranks) h.ranks = e.ranks;
    }
    if (marks && body.text !== undefined) {
      s = t.start();
      c.highlight(hits, body.text, marks);
      t.end('highlight', s);
    }
    return hits;
  }
}

/**
 * The k results of a ranked candidate list (best first): its head, or with `temperature` a
 * softmax sample of it in draw order (ranks as retrieved say where each came from).
 */
function pick(ranked: Candidate[], k: number, body: SearchBody, lowerIsBetter: boolean): Candidate[] {
  const t = body.temperature ?? 0;
  if (t === 0) return ranked.slice(0, k);
  return sampleBySoftmax(ranked.map((h) => (lowerIsBetter ? -h.score : h.score)), k, t, body.seed!).map((i) => ranked[i]);
}

/** The collection a search runs on, and how its tenant named it. */
interface Where {
  tenantId: string;
  name: string;
  c: Collection;
}

function feedbackScope(tenant: string, collection: string, c: Collection): FeedbackScope {
  // A collection dropped and created again under the same name starts with no feedback.
  return { tenant, collection, instance: instanceOf(c) };
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** The answer's `explain`: the plan the trace holds (each side's, for hybrid) and the timeline. */
function explainOf(t: SearchTrace, started: number, answered: SearchAnswer['plan']): SearchExplain {
  const plan = t.plan ?? { plan: answered, reason: '(the planner left no explanation)' };
  const out: SearchExplain = { ...plan, stages: t.stages().map((st) => ({ ...st, ms: round3(st.ms) })), total_ms: round3(performance.now() - started) };
  const sides = Object.entries(t.sides).filter(([, st]) => st.plan !== undefined);
  if (sides.length > 0) out.sides = Object.fromEntries(sides.map(([side, st]) => [side, st.plan!]));
  return out;
}

function fusionName(spec: FusionSpec | undefined): string {
  if (spec === 'weighted' || (typeof spec === 'object' && spec.type === 'weighted')) {
    return `a weighted blend of min-max normalized scores (alpha ${typeof spec === 'object' ? (spec.alpha ?? DEFAULT_WEIGHTED_ALPHA) : DEFAULT_WEIGHTED_ALPHA} on the dense side)`;
  }
  const k = typeof spec === 'object' && spec.type === 'rrf' ? spec.k : undefined;
  return `reciprocal rank fusion (k ${k ?? RRF_DEFAULTS.k})`;
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
