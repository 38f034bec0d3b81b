/**
 * Answers a collection's searches: chooses the plan (graph, graph with a filter, exact scan of
 * a filter's matches, scan of codes, exact), merges in the records not yet in the graph,
 * batches concurrent graph searches, and materializes hits. Reads the live index and SQLite;
 * writes neither.
 */
import { VectraError } from '../errors.js';
import { compilePredicate, compileSql, parseFilter, type FilterLimits, type FilterNode } from './filter.js';
import { attachSnippets, materialize } from './hits.js';
import { ftsQuery } from './keyword.js';
import type { LiveIndex } from './live-index.js';
import { fromNeighbours, mergeTail, rankRows, type Ranked } from './ranking.js';
import type { HighlightMarks, RecordStore } from './record-store.js';
import { graphWork, NO_TRACE, type SearchTrace } from './search-trace.js';
import type { CollectionConfig, KeywordRequest, Metadata, SearchHit, SearchRequest, SearchResult } from './types.js';
import { toVector } from './validation.js';
import type { Neighbours } from './vector-index.js';
import { prepareVector } from '../vector/math.js';

export const MAX_K = 10000;

/**
 * Candidates rescored with the full-precision vectors, as a multiple of k. Binary codes
 * (100 sign bits for GloVe) rank coarsely: with 50·k candidates (or ef, if larger) recall@10
 * on 20k GloVe is 0.96 (cosine) / 0.95 (dot); with 20·k it was 0.87 / 0.88
 * (test/engine/binary-storage.test.ts).
 */
export const RESCORE_FACTOR = { f32: 1, f16: 1, i8: 2, binary: 50, pq: 50 } as const;

interface Query {
  query: Float32Array;
  k: number;
  ef: number;
  node: FilterNode | null;
}

interface PendingSearch {
  query: Float32Array;
  k: number;
  /** Graph candidates to return (k, or more to rescore) and to explore (ef). */
  want: number;
  breadth: number;
  req: SearchRequest;
  resolve: (r: SearchResult) => void;
  reject: (e: unknown) => void;
}

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new VectraError('INVALID_ARGUMENT', `k must be an integer from 1 to ${MAX_K}`);
  return k;
}

export class SearchPlanner {
  private pending: PendingSearch[] = [];

  constructor(
    private readonly config: CollectionConfig,
    private readonly store: RecordStore,
    private readonly live: LiveIndex,
    private readonly filterLimits: FilterLimits,
  ) {}

  /** Vector search: the plan for this request, run, and its hits. With `req.trace`, what it did (search-trace.ts). */
  search(req: SearchRequest): SearchResult {
    const q = this.prepare(req);
    const t = req.trace ?? NO_TRACE;
    const index = this.live.index;
    let plan: SearchResult['plan'];
    let ranked: Ranked;
    if (q.node !== null) {
      [plan, ranked] = this.filteredSearch(q, q.node, req.exact ?? false, t);
    } else if ((index.kind === 'binary' || index.kind === 'pq') && !req.exact) {
      plan = index.kind;
      const { want } = this.graphCandidates(q.k, q.ef);
      const s = t.start();
      const found = index.search(q.query, want, want);
      t.end('scan', s, found.labels.length);
      ranked = this.graphRank(q.query, q.k, found, t);
      t.setPlan({ plan, reason: `no filter; storage "${this.config.storage}": a scan of every record's compressed code, the best ${want} then rescored with their full vectors` });
    } else if (req.exact || index.kind === 'flat') {
      plan = 'exact';
      const s = t.start();
      ranked = index.kind === 'flat' ? fromNeighbours(this.config, index.search(q.query, q.k, q.k)) : this.exactScan(q.query, q.k, null);
      t.end('scan', s, ranked.labels.length);
      t.setPlan({ plan, reason: req.exact ? 'no filter; "exact": true asked for every record to be compared' : 'no filter; the index is flat (no graph): every record is compared' });
    } else {
      plan = 'hnsw';
      const { want, breadth } = this.graphCandidates(q.k, q.ef);
      const s = t.start();
      const found = index.search(q.query, want, breadth);
      t.end('graph', s, found.labels.length);
      ranked = this.withTail(q.query, q.k, this.graphRank(q.query, q.k, found, t), t);
      if (t.on) t.setPlan({ plan, reason: `no filter: a walk of the HNSW graph keeping ${breadth} candidates (ef)`, graph: graphWork(1, breadth, found.labels.length) });
    }
    return { plan, hits: this.hits(ranked, req, t) };
  }

  /**
   * The same answer as `search`, but plain graph searches (no filter, not exact) that arrive
   * in the same turn of the event loop are run as one batch across every core (usearch's
   * multi-threaded batch search). Under concurrent load that halves the graph walk's share
   * of the main thread; a lone request pays one `setImmediate`.
   */
  searchBatched(req: SearchRequest): Promise<SearchResult> {
    try {
      // An explained search runs on its own, so that its timings are its own.
      if (req.filter !== undefined || req.exact || req.trace?.on || this.live.index.kind !== 'hnsw') return Promise.resolve(this.search(req));
      const { query, k, ef } = this.prepare(req);
      return new Promise<SearchResult>((resolve, reject) => {
        this.pending.push({ query, k, ...this.graphCandidates(k, ef), req, resolve, reject });
        if (this.pending.length === 1) setImmediate(() => this.flush());
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** BM25 keyword search over the records' text (FTS5), with the same filters as vector search. */
  keywordSearch(req: KeywordRequest): SearchResult {
    this.live.assertOpen();
    checkK(req.k);
    const t = req.trace ?? NO_TRACE;
    const node = req.filter === undefined ? null : parseFilter(req.filter, this.filterLimits);
    const match = ftsQuery(req.text);
    if (match === null) {
      t.setPlan({ plan: 'keyword', reason: 'the text has no word to match: nothing was searched' });
      return { plan: 'keyword', hits: [] };
    }
    const sql = compileSql(node);
    let s = t.start();
    const ranked = this.store.keywordMatches(match, { sql: sql.where, params: sql.params }, req.k);
    t.end('keyword', s, ranked.labels.length);
    t.setPlan({ plan: 'keyword', reason: `BM25 over the records' text (SQLite FTS5)${node === null ? '' : ', the filter applied in the same SQL query'}` });
    const hits = this.hits(ranked, req, t);
    if (req.highlight) {
      s = t.start();
      attachSnippets(this.store, hits, ranked.labels, match, req.highlight);
      t.end('highlight', s);
    }
    return { plan: 'keyword', hits };
  }

  /** Adds `highlight` to the hits whose text matches words of `text` (hits of any search). */
  highlight(hits: SearchHit[], text: string, marks: HighlightMarks): void {
    this.live.assertOpen();
    const match = ftsQuery(text);
    if (match === null || hits.length === 0) return;
    attachSnippets(this.store, hits, hits.map((h) => this.store.labelOf(h.id)), match, marks);
  }

  /** Hits for ids scored elsewhere (fused rankings), in the given order; ids deleted meanwhile drop out. */
  hitsFor(scored: { id: string; score: number }[], include: 'id' | 'payload', includeVector: boolean): SearchHit[] {
    this.live.assertOpen();
    const labels: number[] = [];
    const scores: number[] = [];
    for (const s of scored) {
      const label = this.store.labelOf(s.id);
      if (label === undefined) continue;
      labels.push(label);
      scores.push(s.score);
    }
    return materialize(this.store, this.live.idOf, { labels, scores }, include, includeVector);
  }

  /**
   * Query planning. A selective filter (few matches, found through the `fields` index) is
   * answered by an exact scan over the matches; a broad one by walking the graph, checking
   * candidates against the filter and widening until k of them pass.
   */
  private filteredSearch({ query, k, ef }: Query, node: FilterNode, exact: boolean, t: SearchTrace): [SearchResult['plan'], Ranked] {
    const { index, tail, count } = this.live;
    const sql = compileSql(node);
    const where = { sql: sql.where, params: sql.params };
    let s = t.start();
    if (exact || index.kind === 'flat') {
      const ranked = this.exactScan(query, k, where);
      t.end('scan', s, ranked.labels.length);
      t.setPlan({ plan: 'exact-filtered', reason: exact ? '"exact": true asked for every record matching the filter to be compared' : 'the index is flat (no graph): every record matching the filter is compared' });
      return ['exact-filtered', ranked];
    }
    const threshold = Math.max(k, Math.min(5000, Math.max(1000, Math.round(count * 0.02))));
    const matches = this.store.matchingLabels(sql.where, sql.params, threshold + 1);
    t.end('filter', s, matches.length);
    const estimate = t.on ? { matches: matches.length, exact: matches.length <= threshold, threshold, rule: 'max(k, min(5000, max(1000, 2 % of the records)))', total: count, selectivity: count === 0 ? 0 : matches.length / count } : undefined;
    if (matches.length <= threshold) {
      s = t.start();
      const ranked = rankRows(this.config.metric, query, k, this.store.vectors(matches));
      t.end('scan', s, ranked.labels.length);
      t.setPlan({ plan: 'exact-filtered', reason: `the filter matches ${matches.length} of ${count} records, no more than the threshold ${threshold}: an exact scan of the matches, cheaper than a graph walk and exact`, filter: estimate });
      return ['exact-filtered', ranked];
    }

    const predicate = compilePredicate(node);
    const checked = new Set<number>();
    const passed: { label: number; vector: Buffer }[] = [];
    // Collect as many passing candidates as an unfiltered search would consider (ef), so
    // the filtered answer is as good as an unfiltered one.
    const want = Math.max(ef, k * RESCORE_FACTOR[this.config.storage]);
    let breadth = want;
    const rounds: { breadth: number; found: number; checked: number; passed: number }[] = [];
    for (;;) {
      s = t.start();
      const found = index.search(query, breadth, breadth);
      t.end('graph', s, found.labels.length);
      s = t.start();
      const fresh = found.labels.filter((l) => !checked.has(l));
      for (const row of this.store.metadataAndVectors(fresh)) {
        if (predicate(JSON.parse(row.metadata) as Metadata, this.live.idOf.get(row.label))) passed.push(row);
      }
      fresh.forEach((l) => checked.add(l));
      t.end('filter', s, passed.length);
      if (t.on) rounds.push({ breadth, found: found.labels.length, checked: checked.size, passed: passed.length });
      const exhausted = found.labels.length < breadth || breadth >= count;
      if (passed.length >= want || exhausted) break;
      // Widen by the pass rate seen so far (at least 2×, at most 16× per round).
      const rate = Math.max(passed.length, 1) / checked.size;
      const factor = Math.min(16, Math.max(2, (1.2 * want) / rate / breadth));
      breadth = Math.min(Math.ceil(breadth * factor), Math.max(count, 1));
    }
    // Records not yet in the graph: SQLite applies the filter to them (through the fields
    // index) rather than this thread parsing every waiting record's metadata.
    if (tail.size() > 0) {
      s = t.start();
      const before = passed.length;
      const inTail = { sql: `label IN (SELECT value FROM json_each(?)) AND (${sql.where})`, params: [JSON.stringify(tail.labels()), ...sql.params] };
      for (const row of this.store.iterateVectors(inTail)) passed.push(row);
      t.end('tail', s, passed.length - before);
    }
    const walked = t.on
      ? `the filter matches more than ${threshold} of ${count} records (counting stopped at ${threshold + 1}): a walk of the ${index.kind === 'hnsw' ? 'HNSW graph' : `${index.kind} codes`} checking each candidate against the filter, widened until ${want} passed or every record was reached`
      : '';
    const last = rounds[rounds.length - 1];
    const work = t.on && index.kind === 'hnsw' ? { graph: graphWork(rounds.length, last.breadth, last.found) } : {};
    if (passed.length < k) {
      s = t.start();
      const ranked = this.exactScan(query, k, where);
      t.end('scan', s, ranked.labels.length);
      t.setPlan({ plan: 'exact-filtered', reason: `${walked}; only ${passed.length} of the ${k} needed passed, so the matches were scanned exactly instead`, filter: estimate, rounds, ...work });
      return ['exact-filtered', ranked];
    }
    const plan = index.kind === 'hnsw' ? 'hnsw-filtered' : (`${index.kind}-filtered` as const);
    s = t.start();
    const ranked = rankRows(this.config.metric, query, k, passed);
    t.end('rescore', s, ranked.labels.length);
    t.setPlan({ plan, reason: walked, filter: estimate, rounds, ...work });
    return [plan, ranked];
  }

  /** Graph candidates → top k (rescored from SQLite when the index stores compressed vectors). */
  private graphRank(query: Float32Array, k: number, found: Neighbours, t: SearchTrace = NO_TRACE): Ranked {
    const { index, tail, count } = this.live;
    let ranked: Ranked;
    if (index.exactDistances) ranked = fromNeighbours(this.config, found);
    else {
      const s = t.start();
      ranked = rankRows(this.config.metric, query, k, this.store.vectors(found.labels));
      t.end('rescore', s, Math.min(k, ranked.labels.length));
    }
    // A graph can fail to reach some nodes; never answer fewer than k when k exist.
    if (ranked.labels.length < Math.min(k, count - tail.size())) {
      t.note(`the graph returned ${ranked.labels.length} of the ${k} asked for: every record was scanned exactly instead`);
      const s = t.start();
      const scanned = this.exactScan(query, k, null);
      t.end('scan', s, scanned.labels.length);
      return scanned;
    }
    return { labels: ranked.labels.slice(0, k), scores: ranked.scores.slice(0, k) };
  }

  /** The graph's answer merged with an exact ranking of the records not yet in it. */
  private withTail(query: Float32Array, k: number, graph: Ranked, t: SearchTrace = NO_TRACE): Ranked {
    const { tail } = this.live;
    if (tail.size() === 0) return graph;
    const s = t.start();
    const merged = mergeTail(this.config.metric, k, graph, fromNeighbours(this.config, tail.search(query, k)));
    t.end('tail', s, tail.size());
    return merged;
  }

  /** How many graph candidates a plain search takes (`want`) and explores (`breadth`). */
  private graphCandidates(k: number, ef: number): { want: number; breadth: number } {
    // A scan of codes has no breadth to widen: ef raises the candidates rescored instead.
    const kind = this.live.index.kind;
    const scanned = kind === 'binary' || kind === 'pq';
    const want = scanned ? Math.max(ef, k * RESCORE_FACTOR[this.config.storage]) : k * RESCORE_FACTOR[this.config.storage];
    return { want, breadth: Math.max(ef, want) };
  }

  /** Every record in SQLite (matching `where`), ranked exactly. */
  private exactScan(query: Float32Array, k: number, where: { sql: string; params: unknown[] } | null): Ranked {
    return rankRows(this.config.metric, query, k, this.store.iterateVectors(where ?? undefined));
  }

  private hits(ranked: Ranked, req: { include?: 'id' | 'payload'; includeVector?: boolean }, t: SearchTrace = NO_TRACE): SearchHit[] {
    const s = t.start();
    const hits = materialize(this.store, this.live.idOf, ranked, req.include ?? 'payload', req.includeVector ?? false);
    t.end('fetch', s, hits.length);
    return hits;
  }

  private prepare(req: SearchRequest): Query {
    this.live.assertOpen();
    const k = checkK(req.k);
    const defaultEf = this.config.index.type === 'hnsw' ? this.config.index.efSearch : k;
    const ef = req.ef ?? defaultEf;
    if (!Number.isInteger(ef) || ef < 1 || ef > MAX_K) throw new VectraError('INVALID_ARGUMENT', `ef must be an integer from 1 to ${MAX_K}`);
    const query = prepareVector(this.config.metric, toVector(req.vector, this.config.dimension, 'query'));
    const node = req.filter === undefined ? null : parseFilter(req.filter, this.filterLimits);
    return { query, k, ef, node };
  }

  /** Run the searches gathered by `searchBatched`: one batch per candidate count, then ranked and materialized one by one. */
  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    // Queries needing the same candidate counts go to the index together.
    const groups = new Map<string, PendingSearch[]>();
    for (const p of batch) {
      const key = `${p.want}:${p.breadth}`;
      const g = groups.get(key);
      if (g) g.push(p);
      else groups.set(key, [p]);
    }
    for (const group of groups.values()) {
      const { want, breadth } = group[0];
      let found: Neighbours[];
      try {
        this.live.assertOpen();
        const d = this.config.dimension;
        const queries = new Float32Array(group.length * d);
        group.forEach((p, i) => queries.set(p.query, i * d));
        found = this.live.index.searchMany(queries, want, breadth);
      } catch (e) {
        for (const p of group) p.reject(e);
        continue;
      }
      group.forEach((p, i) => {
        try {
          const ranked = this.withTail(p.query, p.k, this.graphRank(p.query, p.k, found[i]));
          p.resolve({ plan: 'hnsw', hits: this.hits(ranked, p.req) });
        } catch (e) {
          p.reject(e);
        }
      });
    }
  }
}
