/** The search form → the body of POST /v1/collections/{name}/search, or what to fix first. */
import { checkJson, optionalObject } from './json';

export interface SearchForm {
  by: 'text' | 'vector';
  query: string;
  mode: 'dense' | 'keyword' | 'hybrid';
  fusion: 'rrf' | 'weighted';
  alpha: string;
  filter: string;
  k: string;
  returns: 'object' | 'id';
  // The options area (docs/search.md, docs/insights.md).
  /** Read numeric and date constraints out of the text into a filter (`parse`). */
  parse: boolean;
  /** Mark the query's words in each hit's text (`highlight`). */
  highlight: boolean;
  rerank: 'none' | 'mmr' | 'cross-encoder' | 'feedback';
  /** MMR's lambda, 0–1 (1 = relevance only). */
  lambda: string;
  /** The cross-encoder: a reranker id from GET /v1/models. */
  reranker: string;
  /** Feedback reranking: the most a boost moves a result (0–1) and the cosine from which an earlier query counts as similar; empty for the server's defaults. */
  feedbackWeight: string;
  feedbackSimilarity: string;
  /** Sample the k results by softmax(score / temperature); empty or 0 for the ranking itself. */
  temperature: string;
  /** With a temperature: the seed to draw with; empty for a random one (the answer says which). */
  seed: string;
  /** Add `explain`: the plan and why, each stage's time and candidates. */
  explain: boolean;
  /** One result per document (`group: {by: "document", size}`). */
  group: boolean;
  groupSize: string;
  /** HNSW search breadth; empty for the index's default. */
  ef: string;
  exact: boolean;
}

export const SEARCH_FORM: SearchForm = {
  by: 'text', query: '', mode: 'dense', fusion: 'rrf', alpha: '0.5', filter: '', k: '10', returns: 'object',
  parse: false, highlight: false, rerank: 'none', lambda: '0.5', reranker: '', feedbackWeight: '', feedbackSimilarity: '',
  temperature: '', seed: '', explain: false, group: false, groupSize: '3', ef: '', exact: false,
};

/** The server's bounds: MAX_TEMPERATURE in src/services/sampling.ts, a seed is a uint32 (src/api/schemas/search.ts). */
export const MAX_TEMPERATURE = 100;
export const MAX_SEED = 4_294_967_295;

/** A temperature is on when typed and above 0 (0 is the ranking itself). */
const sampling = (f: SearchForm) => f.temperature.trim() !== '' && Number(f.temperature) > 0;

/** The options that differ from the defaults, named as the API names them. */
export function optionsOn(f: SearchForm): string[] {
  return [
    f.parse && 'parse', f.highlight && 'highlight', f.rerank !== 'none' && `rerank: ${f.rerank}`, sampling(f) && 'temperature', f.group && 'group', f.ef.trim() !== '' && 'ef', f.exact && 'exact', f.explain && 'explain',
  ].filter((x): x is string => typeof x === 'string');
}

/** A whole number in [min, max] typed in a field, or what is wrong with it. */
function wholeNumber(s: string, what: string, min: number, max: number): number | string {
  const n = Number(s);
  return s.trim() !== '' && Number.isInteger(n) && n >= min && n <= max ? n : `${what} must be a whole number from ${min} to ${max.toLocaleString('en-US')}`;
}

export function searchBody(f: SearchForm): { body: Record<string, unknown>; error: null } | { body: null; error: string } {
  const fail = (error: string) => ({ body: null, error });
  const body: Record<string, unknown> = {};
  if (f.by === 'text') {
    if (f.query.trim() === '') return fail('type a query');
    body.text = f.query;
  } else {
    const v = checkJson(f.query, 'vector');
    if (v.error !== null) return fail(`vector: ${v.error}`);
    body.vector = v.value;
    const readers = [f.parse && 'parse', f.highlight && 'highlight', f.rerank === 'cross-encoder' && 'the cross-encoder'].filter(Boolean);
    if (readers.length > 0) return fail(`${readers.join(' and ')} ${readers.length === 1 ? 'needs' : 'need'} the query text: query by text, or turn ${readers.length === 1 ? 'it' : 'them'} off`);
  }
  const k = Number(f.k);
  if (!Number.isInteger(k) || k < 1) return fail('k must be a whole number of at least 1');
  body.k = k;
  if (f.mode !== 'dense') body.mode = f.mode;
  if (f.mode === 'hybrid' && f.fusion === 'weighted') {
    const alpha = Number(f.alpha);
    if (f.alpha.trim() === '' || !(alpha >= 0 && alpha <= 1)) return fail('alpha must be between 0 and 1');
    body.fusion = { type: 'weighted', alpha };
  }
  const filter = optionalObject(f.filter);
  if (filter.error !== null) return fail(`filter: ${filter.error}`);
  if (filter.value !== undefined) body.filter = filter.value;
  if (f.returns === 'id') body.return = 'id';

  if (f.parse) body.parse = true;
  if (f.highlight) body.highlight = true;
  if (f.rerank !== 'none' && f.group) return fail('grouping by document and reranking do not combine yet: turn one off');
  if (f.rerank === 'mmr') {
    const lambda = Number(f.lambda);
    if (f.lambda.trim() === '' || !(lambda >= 0 && lambda <= 1)) return fail('lambda must be between 0 and 1');
    body.rerank = { type: 'mmr', lambda };
  } else if (f.rerank === 'cross-encoder') {
    if (f.reranker === '') return fail('pick a reranker');
    body.rerank = { type: 'cross-encoder', model: f.reranker };
  } else if (f.rerank === 'feedback') {
    const rerank: Record<string, unknown> = { type: 'feedback' };
    for (const [field, key, what] of [['feedbackWeight', 'weight', 'feedback weight'], ['feedbackSimilarity', 'minSimilarity', 'similar from']] as const) {
      if (f[field].trim() === '') continue;
      const v = Number(f[field]);
      if (!(v >= 0 && v <= 1)) return fail(`${what} must be between 0 and 1`);
      rerank[key] = v;
    }
    body.rerank = rerank;
  }
  if (f.temperature.trim() !== '') {
    const t = Number(f.temperature);
    if (!(t >= 0 && t <= MAX_TEMPERATURE)) return fail(`temperature must be between 0 and ${MAX_TEMPERATURE}`);
    // 0 is the ranking itself: nothing to send, and a seed would mean nothing.
    if (t > 0) {
      if (f.rerank === 'mmr') return fail('temperature samples by score and MMR picks by variety: use one of them');
      if (f.group) return fail('temperature and grouping by document do not combine yet: turn one off');
      body.temperature = t;
      if (f.seed.trim() !== '') {
        const seed = wholeNumber(f.seed, 'seed', 0, MAX_SEED);
        if (typeof seed === 'string') return fail(seed);
        body.seed = seed;
      }
    }
  }
  if (f.group) {
    const size = wholeNumber(f.groupSize, 'chunks per document', 1, 20);
    if (typeof size === 'string') return fail(size);
    body.group = { by: 'document', size };
  }
  if (f.ef.trim() !== '') {
    const ef = wholeNumber(f.ef, 'ef', 1, 10000);
    if (typeof ef === 'string') return fail(ef);
    body.ef = ef;
  }
  if (f.exact) body.exact = true;
  if (f.explain) body.explain = true;
  return { body, error: null };
}
