/**
 * Query expansion without an LLM (`expand` on a search), three strategies:
 *
 * - `words`: each content word of the text gets its nearest words in the built-in model's GloVe
 *   vectors (embed/thesaurus.ts). The keyword side searches the text with them appended (BM25
 *   ORs the words); the dense side searches (1 − w)·q̂ + w·n̂, q̂ the text's unit vector and n̂
 *   the neighbour words' (both by the collection's own model). Measured on the WordNet task
 *   (docs/benchmarks.md), this hurt less than embedding the expanded text, where two
 *   neighbours per word outweigh the words themselves.
 * - `prf`: pseudo-relevance feedback (Rocchio): search, take the top `docs` hits' vectors, move
 *   the query toward their mean, search again. The dense side only: keyword mode has no vector.
 * - `multi`: the text, and one variant per content word (the rarest first) with that word's
 *   neighbours appended, each searched, the rankings fused by reciprocal rank.
 *
 * Every strategy searches through the same path as a plain search (`run`), so the filter, k,
 * `return`, mode and the index's plan apply to each search it makes.
 */
import { VectraError } from '../errors.js';
import { MAX_K, type Collection } from '../engine/index.js';
import { toVector } from '../engine/validation.js';
import { expandedText, type Thesaurus, type WordNeighbours } from '../embed/thesaurus.js';
import { normalized } from '../vector/math.js';
import { isZeroVector, type EmbeddingService } from './embedding.js';
import { rrfFuseLists } from './fusion.js';
import { DEFAULT_MARKS, type SearchAnswer, type SearchBody } from './search.js';

export type ExpandSpec =
  | { strategy: 'words'; terms?: number; minSimilarity?: number; weight?: number }
  | { strategy: 'prf'; docs?: number; weight?: number }
  | { strategy: 'multi'; queries?: number; terms?: number; minSimilarity?: number };

/** What an expanded search searched. */
export type Expanded =
  /** `text`: the keyword side's text; the dense side's vector is the text's moved toward the neighbours' by `weight`. */
  | { strategy: 'words'; text: string; words: WordNeighbours[]; weight: number }
  /** `docs`: the hits of the first search whose vectors moved the query, by `weight`. */
  | { strategy: 'prf'; docs: string[]; weight: number }
  /** `queries[0]` is the text as given; the others its variants. */
  | { strategy: 'multi'; queries: string[]; words: WordNeighbours[] };

export const EXPAND_DEFAULTS = {
  /** Neighbours per word. */
  terms: 2,
  /** Cosine floor for a neighbour (GloVe 100-d: "car" → vehicle 0.86, truck 0.86, cars 0.84). */
  minSimilarity: 0.7,
  /** words: share of the neighbour words' vector in the dense side's query. */
  wordsWeight: 0.2,
  /** Top hits that feed Rocchio. */
  docs: 5,
  /** prf: share of the top hits' mean in the new query. */
  prfWeight: 0.5,
  /** Queries fused by `multi`, the original included. */
  queries: 4,
} as const;

/** Hits each `multi` query contributes to the fusion (at least k). */
const MULTI_DEPTH = 50;

type Run = (body: SearchBody) => Promise<SearchAnswer>;
type Mode = 'dense' | 'keyword' | 'hybrid';

/**
 * Rocchio's update: (1 − w)·q + w·mean(top). Cosine and dot: on unit vectors, the result unit
 * (only its direction ranks); l2: in the vectors' own space, so the query point moves toward
 * the top hits' centroid.
 */
export function rocchio(query: Float32Array, top: Float32Array[], weight: number, metric: 'cosine' | 'dot' | 'l2'): Float32Array {
  const unit = metric !== 'l2';
  const q = unit ? normalized(query) : query;
  const out = new Float32Array(q.length);
  for (let d = 0; d < q.length; d++) out[d] = (1 - weight) * q[d];
  for (const v of top) {
    const u = unit ? normalized(v) : v;
    for (let d = 0; d < q.length; d++) out[d] += (weight / top.length) * u[d];
  }
  return unit ? normalized(out) : out;
}

export class QueryExpander {
  constructor(
    private readonly embedding: EmbeddingService,
    private readonly thesaurus: () => Promise<Thesaurus>,
  ) {}

  /** `body` (parsed already) searched with its `expand`; `run` makes one plain search. */
  async search(c: Collection, mode: Mode, body: SearchBody, started: number, run: Run): Promise<SearchAnswer> {
    const spec = body.expand!;
    const combined = (['group', 'rerank'] as const).filter((f) => body[f] !== undefined);
    if (combined.length > 0) throw new VectraError('INVALID_ARGUMENT', `"expand" cannot be combined with ${combined.map((f) => `"${f}"`).join(' or ')} yet: drop one of them`);
    const plain: SearchBody = { ...body, expand: undefined };
    if (spec.strategy === 'prf') {
      if (mode === 'keyword') throw new VectraError('INVALID_ARGUMENT', 'expand "prf" moves the query vector and mode "keyword" has none: use mode "dense" or "hybrid", or expand "words" or "multi" for keyword search');
      return this.prf(c, mode, plain, spec, run);
    }
    if (body.text === undefined || body.vector !== undefined) {
      throw new VectraError('INVALID_ARGUMENT', `expand "${spec.strategy}" adds words to "text": give "text" and no "vector" (expand "prf" works with a vector)`);
    }
    const words = await this.neighbours(body.text, spec.terms ?? EXPAND_DEFAULTS.terms, spec.minSimilarity ?? EXPAND_DEFAULTS.minSimilarity);
    if (spec.strategy === 'words') return this.words(c, mode, plain, words, spec.weight ?? EXPAND_DEFAULTS.wordsWeight, run);
    return this.multi(c, plain, words, spec.queries ?? EXPAND_DEFAULTS.queries, started, run);
  }

  private async neighbours(text: string, terms: number, minSimilarity: number): Promise<WordNeighbours[]> {
    let t: Thesaurus;
    try {
      t = await this.thesaurus();
    } catch (e) {
      throw new VectraError('MODEL_UNAVAILABLE', `query expansion reads the built-in model's word vectors, which could not load: ${(e as Error).message}`);
    }
    return t.expand(text, { terms, minSimilarity });
  }

  private async prf(c: Collection, mode: Mode, body: SearchBody, spec: { docs?: number; weight?: number }, run: Run): Promise<SearchAnswer> {
    const docs = spec.docs ?? EXPAND_DEFAULTS.docs;
    const weight = spec.weight ?? EXPAND_DEFAULTS.prfWeight;
    const first = await run({ ...body, k: Math.max(body.k ?? 10, docs), return: 'id', highlight: undefined, includeVector: undefined });
    const top = first.results.slice(0, docs).map((h) => h.id);
    const vectors = c.vectorsOf(top);
    const used = top.filter((id) => vectors.has(id));
    if (used.length === 0) return { ...first, results: [], expanded: { strategy: 'prf', docs: [], weight } };
    const query = body.vector !== undefined ? toVector(body.vector, c.config.dimension, 'query') : await this.embedding.embedQuery(c, body.text!);
    const moved = rocchio(query, used.map((id) => vectors.get(id)!), weight, c.config.metric);
    // Dense mode searches the vector alone; hybrid keeps the text for its keyword side.
    const second = await run({ ...body, vector: Array.from(moved), text: mode === 'dense' ? undefined : body.text });
    if (mode === 'dense' && body.text !== undefined) highlight(c, body, second, body.text);
    return { ...second, expanded: { strategy: 'prf', docs: used, weight } };
  }

  private async words(c: Collection, mode: Mode, body: SearchBody, words: WordNeighbours[], weight: number, run: Run): Promise<SearchAnswer> {
    const text = expandedText(body.text!, words);
    const extra = text.slice(body.text!.length + 1);
    const expanded = { strategy: 'words' as const, text, words, weight };
    if (mode === 'keyword' || extra === '') return { ...(await run({ ...body, text })), expanded };
    const [query, neighbours] = await Promise.all([this.embedding.embedQuery(c, body.text!), this.embedding.embedQuery(c, extra)]);
    // Nothing the model can embed: the plain search says so (dense) or matches words (hybrid).
    if (isZeroVector(query) || isZeroVector(neighbours)) return { ...(await run({ ...body, text })), expanded };
    const vector = Array.from(rocchio(query, [neighbours], weight, c.config.metric));
    const answer = await run({ ...body, vector, text: mode === 'dense' ? undefined : text });
    if (mode === 'dense') highlight(c, body, answer, text);
    return { ...answer, expanded };
  }

  private async multi(c: Collection, body: SearchBody, words: WordNeighbours[], queries: number, started: number, run: Run): Promise<SearchAnswer> {
    const text = body.text!;
    const k = body.k ?? 10;
    const variants = words
      .filter((w) => w.neighbours.length > 0)
      .sort((a, b) => b.rank - a.rank)
      .slice(0, queries - 1)
      .map((w) => expandedText(text, [w]));
    const all = [text, ...variants];
    const depth = Math.min(MAX_K, Math.max(k, MULTI_DEPTH));
    const answers = await Promise.all(all.map((q) => run({ ...body, text: q, k: depth, return: 'id', highlight: undefined, includeVector: undefined })));
    const fused = rrfFuseLists(answers.map((a) => a.results)).slice(0, k);
    const results = c.hitsFor(fused, body.return === 'id' ? 'id' : 'payload', body.includeVector ?? false);
    highlight(c, body, { results }, text);
    const { plan, plans } = answers[0];
    return { results, took_ms: Math.round((performance.now() - started) * 1000) / 1000, plan, ...(plans ? { plans } : {}), expanded: { strategy: 'multi', queries: all, words } };
  }
}

/** Marks the words of `text` in the hits, when the search asked for highlights. */
function highlight(c: Collection, body: SearchBody, answer: Pick<SearchAnswer, 'results'>, text: string): void {
  if (body.highlight) c.highlight(answer.results, text, body.highlight === true ? DEFAULT_MARKS : body.highlight);
}
