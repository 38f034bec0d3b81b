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

  /** Vector search: the plan for this request, run, and its hits. */
  search(req: SearchRequest): SearchResult {
    const q = this.prepare(req);
    const index = this.live.index;
    let plan: SearchResult['plan'];
    let ranked: Ranked;
    if (q.node !== null) {
      [plan, ranked] = this.filteredSearch(q, q.node, req.exact ?? false);
    } else if ((index.kind === 'binary' || index.kind === 'pq') && !req.exact) {
      plan = index.kind;
      const { want } = this.graphCandidates(q.k, q.ef);
      ranked = this.graphRank(q.query, q.k, index.search(q.query, want, want));
    } else if (req.exact || index.kind === 'flat') {
      plan = 'exact';
      ranked = index.kind === 'flat' ? fromNeighbours(this.config, index.search(q.query, q.k, q.k)) : this.exactScan(q.query, q.k, null);
    } else {
      plan = 'hnsw';
      const { want, breadth } = this.graphCandidates(q.k, q.ef);
      ranked = this.withTail(q.query, q.k, this.graphRank(q.query, q.k, index.search(q.query, want, breadth)));
    }
    return { plan, hits: this.hits(ranked, req) };
  }

  /**
   * The same answer as `search`, but plain graph searches (no filter, not exact) that arrive
   * in the same turn of the event loop are run as one batch across every core (usearch's
   * multi-threaded batch search). Under concurrent load that halves the graph walk's share
   * of the main thread; a lone request pays one `setImmediate`.
   */
  searchBatched(req: SearchRequest): Promise<SearchResult> {
    try {
      if (req.filter !== undefined || req.exact || this.live.index.kind !== 'hnsw') return Promise.resolve(this.search(req));
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
    const node = req.filter === undefined ? null : parseFilter(req.filter, this.filterLimits);
    const match = ftsQuery(req.text);
    if (match === null) return { plan: 'keyword', hits: [] };
    const sql = compileSql(node);
    const ranked = this.store.keywordMatches(match, { sql: sql.where, params: sql.params }, req.k);
    const hits = this.hits(ranked, req);
    if (req.highlight) attachSnippets(this.store, hits, ranked.labels, match, req.highlight);
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
  private filteredSearch({ query, k, ef }: Query, node: FilterNode, exact: boolean): [SearchResult['plan'], Ranked] {
    const { index, tail, count } = this.live;
    const sql = compileSql(node);
    const where = { sql: sql.where, params: sql.params };
    if (exact || index.kind === 'flat') return ['exact-filtered', this.exactScan(query, k, where)];
    const threshold = Math.max(k, Math.min(5000, Math.max(1000, Math.round(count * 0.02))));
    const matches = this.store.matchingLabels(sql.where, sql.params, threshold + 1);
    if (matches.length <= threshold) return ['exact-filtered', rankRows(this.config.metric, query, k, this.store.vectors(matches))];

    const predicate = compilePredicate(node);
    const checked = new Set<number>();
    const passed: { label: number; vector: Buffer }[] = [];
    // Collect as many passing candidates as an unfiltered search would consider (ef), so
    // the filtered answer is as good as an unfiltered one.
    const want = Math.max(ef, k * RESCORE_FACTOR[this.config.storage]);
    let breadth = want;
    for (;;) {
      const found = index.search(query, breadth, breadth);
      const fresh = found.labels.filter((l) => !checked.has(l));
      for (const row of this.store.metadataAndVectors(fresh)) {
        if (predicate(JSON.parse(row.metadata) as Metadata, this.live.idOf.get(row.label))) passed.push(row);
      }
      fresh.forEach((l) => checked.add(l));
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
      const inTail = { sql: `label IN (SELECT value FROM json_each(?)) AND (${sql.where})`, params: [JSON.stringify(tail.labels()), ...sql.params] };
      for (const row of this.store.iterateVectors(inTail)) passed.push(row);
    }
    if (passed.length < k) return ['exact-filtered', this.exactScan(query, k, where)];
    return [index.kind === 'hnsw' ? 'hnsw-filtered' : `${index.kind}-filtered`, rankRows(this.config.metric, query, k, passed)];
  }

  /** Graph candidates → top k (rescored from SQLite when the index stores compressed vectors). */
  private graphRank(query: Float32Array, k: number, found: Neighbours): Ranked {
    const { index, tail, count } = this.live;
    const ranked = index.exactDistances ? fromNeighbours(this.config, found) : rankRows(this.config.metric, query, k, this.store.vectors(found.labels));
    // A graph can fail to reach some nodes; never answer fewer than k when k exist.
    if (ranked.labels.length < Math.min(k, count - tail.size())) return this.exactScan(query, k, null);
    return { labels: ranked.labels.slice(0, k), scores: ranked.scores.slice(0, k) };
  }

  /** The graph's answer merged with an exact ranking of the records not yet in it. */
  private withTail(query: Float32Array, k: number, graph: Ranked): Ranked {
    const { tail } = this.live;
    if (tail.size() === 0) return graph;
    return mergeTail(this.config.metric, k, graph, fromNeighbours(this.config, tail.search(query, k)));
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

  private hits(ranked: Ranked, req: { include?: 'id' | 'payload'; includeVector?: boolean }): SearchHit[] {
    return materialize(this.store, this.live.idOf, ranked, req.include ?? 'payload', req.includeVector ?? false);
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
