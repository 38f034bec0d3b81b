/**
 * Feedback reranking (docs/insights.md › Feedback): what users did with a result of a query
 * (click, dwell, bookmark, skip) is kept per collection in DATA_DIR/feedback.db; a search with
 * `rerank: {"type": "feedback"}` boosts among its candidates the records users chose for similar
 * queries, and lowers those they skipped.
 *
 * Bounded so that one noisy user cannot take a collection over:
 * - an actor (the API key, or a `user` named under it) counts once per record: its strongest
 *   signal for that record among the similar queries, never a sum over repeated queries;
 * - a record's boost is tanh(Σ actors / 3) × users / (users + 1): one actor alone moves it at
 *   most tanh(1/3) / 2 ≈ 0.16 of the full boost, agreeing users more, no number of them past it
 *   (chosen on bench/feedback.ts's simulated log: tanh(Σ / 2) without the agreement factor let
 *   one spammer lift its record from rank 7 into the top 3 for 55 % of queries; this keeps
 *   the lift for real clicks, 0.134 → 0.274 MRR, and leaves it there for 6 %);
 * - the boost is at most `weight` (default 0.5) of the candidates' normalized relevance range;
 * - each actor keeps its newest MAX_PER_ACTOR signals per collection, each key its newest
 *   MAX_PER_KEY: a flood drops the flooder's own oldest signals, nobody else's.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VectraError } from '../errors.js';

export type Signal = 'click' | 'dwell' | 'bookmark' | 'skip';

export const FEEDBACK_DEFAULTS = { weight: 0.5, minSimilarity: 0.8 } as const;
/** Seconds of dwell that count as a full positive signal. */
export const DWELL_FULL_SECONDS = 30;
export const SATURATION = 3;
/** Users it takes for half the boost their signals would give: one user alone gets 1 / (1 + AGREEMENT) of it. */
export const AGREEMENT = 1;
export const MAX_PER_ACTOR = 1000;
export const MAX_PER_KEY = 10_000;
/** Most stored queries a search compares its own with (the most similar first). */
const MAX_SIMILAR_QUERIES = 64;

/** A signal's weight in [−1, 1]: click 0.5, bookmark 1, dwell min(1, seconds / 30), skip −0.5. */
export function signalWeight(signal: Signal, value: number | undefined): number {
  if (value !== undefined && signal !== 'dwell') throw new VectraError('INVALID_ARGUMENT', `"value" is the dwell time in seconds: it applies to signal "dwell" only (got signal "${signal}")`);
  switch (signal) {
    case 'click':
      return 0.5;
    case 'bookmark':
      return 1;
    case 'skip':
      return -0.5;
    case 'dwell':
      return Math.min(1, (value ?? DWELL_FULL_SECONDS) / DWELL_FULL_SECONDS);
  }
}

/** The query as feedback knows it: its normalized text (or vector bytes) hashed, and its vector when there is one. */
export interface QueryKey {
  hash: string;
  text: string | null;
  vector: Float32Array | null;
}

export function queryKey(text: string | undefined, vector: Float32Array | null): QueryKey {
  const h = createHash('sha256');
  if (text !== undefined) h.update('t:' + text.trim().toLowerCase().replace(/\s+/g, ' '));
  else h.update('v:').update(Buffer.from(vector!.buffer, vector!.byteOffset, vector!.byteLength));
  return { hash: h.digest('hex'), text: text ?? null, vector: vector ? unit(vector) : null };
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n);
  return n === 0 ? Float32Array.from(v) : v.map((x) => x / n);
}

/** What users did with a record for queries like this one: the sum of their signals, and how many users. */
export interface Votes {
  sum: number;
  users: number;
}

/** Where a collection's feedback lives: tenant, name, and the instance (a dropped and re-created collection starts clean). */
export interface Scope {
  tenant: string;
  collection: string;
  instance: string;
}

interface CachedQueries {
  ids: number[];
  hashes: string[];
  vectors: (Float32Array | null)[];
}

export class FeedbackStore {
  private readonly db: Database.Database;
  private readonly queries = new Map<string, CachedQueries>();

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'feedback.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS queries (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, collection TEXT NOT NULL, instance TEXT NOT NULL, hash TEXT NOT NULL, text TEXT, vector BLOB,
        UNIQUE (tenant, collection, instance, hash));
      CREATE TABLE IF NOT EXISTS signals (query_id INTEGER NOT NULL, record TEXT NOT NULL, key_id TEXT NOT NULL, actor TEXT NOT NULL, weight REAL NOT NULL, at INTEGER NOT NULL,
        PRIMARY KEY (query_id, record, actor));
      CREATE INDEX IF NOT EXISTS signals_actor ON signals(actor, at);
      CREATE INDEX IF NOT EXISTS signals_key ON signals(key_id, at);
    `);
  }

  private cacheKey(s: Scope): string {
    return JSON.stringify([s.tenant, s.collection, s.instance]);
  }

  /** Record a signal: an actor's newest signal for a (query, record) replaces its earlier one. */
  add(scope: Scope, q: QueryKey, record: string, keyId: string, user: string | undefined, weight: number, at = Date.now()): void {
    const actor = `${keyId}/${user ?? ''}`;
    const tx = this.db.transaction(() => {
      const found = this.db.prepare('SELECT id FROM queries WHERE tenant = ? AND collection = ? AND instance = ? AND hash = ?').get(scope.tenant, scope.collection, scope.instance, q.hash) as { id: number } | undefined;
      const vector = q.vector ? Buffer.from(q.vector.buffer, q.vector.byteOffset, q.vector.byteLength) : null;
      const id = found?.id ?? Number(this.db.prepare('INSERT INTO queries (tenant, collection, instance, hash, text, vector) VALUES (?, ?, ?, ?, ?, ?)').run(scope.tenant, scope.collection, scope.instance, q.hash, q.text, vector).lastInsertRowid);
      this.db.prepare('INSERT OR REPLACE INTO signals (query_id, record, key_id, actor, weight, at) VALUES (?, ?, ?, ?, ?, ?)').run(id, record, keyId, actor, weight, at);
      // The flooder pays: its own oldest signals go, per actor and per key, in this collection;
      // then the queries no signal refers to any more.
      const trimmed = this.trim('actor', actor, scope, MAX_PER_ACTOR) + this.trim('key_id', keyId, scope, MAX_PER_KEY);
      if (trimmed > 0) {
        this.db
          .prepare('DELETE FROM queries WHERE tenant = ? AND collection = ? AND instance = ? AND NOT EXISTS (SELECT 1 FROM signals WHERE signals.query_id = queries.id)')
          .run(scope.tenant, scope.collection, scope.instance);
      }
      return { id, added: found === undefined, trimmed: trimmed > 0 };
    });
    const { id, added, trimmed } = tx();
    // The cached queries follow the committed rows.
    const cached = this.queries.get(this.cacheKey(scope));
    if (trimmed) this.queries.delete(this.cacheKey(scope));
    else if (added && cached) {
      cached.ids.push(id);
      cached.hashes.push(q.hash);
      cached.vectors.push(q.vector);
    }
  }

  private trim(column: 'actor' | 'key_id', value: string, s: Scope, max: number): number {
    return this.db
      .prepare(
        `DELETE FROM signals WHERE rowid IN (SELECT signals.rowid FROM signals JOIN queries ON queries.id = signals.query_id
           WHERE signals.${column} = ? AND queries.tenant = ? AND queries.collection = ? AND queries.instance = ? ORDER BY signals.at DESC, signals.rowid DESC LIMIT -1 OFFSET ?)`,
      )
      .run(value, s.tenant, s.collection, s.instance, max).changes;
  }

  private cached(s: Scope): CachedQueries {
    const key = this.cacheKey(s);
    let c = this.queries.get(key);
    if (!c) {
      const rows = this.db.prepare('SELECT id, hash, vector FROM queries WHERE tenant = ? AND collection = ? AND instance = ? ORDER BY id').all(s.tenant, s.collection, s.instance) as { id: number; hash: string; vector: Buffer | null }[];
      c = {
        ids: rows.map((r) => r.id),
        hashes: rows.map((r) => r.hash),
        vectors: rows.map((r) => (r.vector ? new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + r.vector.byteLength)) : null)),
      };
      this.queries.set(key, c);
    }
    return c;
  }

  /**
   * Per record among `records`: Σ over actors of the actor's strongest weighted signal for it
   * from stored queries similar to `q` (cosine ≥ minSimilarity, faded in linearly above it;
   * the same query text counts as 1).
   */
  votes(s: Scope, q: QueryKey, records: string[], minSimilarity: number): Map<string, Votes> {
    const c = this.cached(s);
    const similar: { id: number; sim: number }[] = [];
    for (let i = 0; i < c.ids.length; i++) {
      let sim = c.hashes[i] === q.hash ? 1 : -1;
      const v = c.vectors[i];
      if (sim < 1 && v && q.vector && v.length === q.vector.length) {
        sim = 0;
        for (let d = 0; d < v.length; d++) sim += v[d] * q.vector[d];
      }
      if (sim >= minSimilarity) similar.push({ id: c.ids[i], sim });
    }
    similar.sort((a, b) => b.sim - a.sim);
    const used = similar.slice(0, MAX_SIMILAR_QUERIES);
    const out = new Map<string, Votes>();
    if (used.length === 0 || records.length === 0) return out;
    const fade = new Map(used.map((u) => [u.id, minSimilarity >= 1 ? 1 : Math.min(1, (u.sim - minSimilarity) / (1 - minSimilarity))]));
    const rows = this.db
      .prepare(`SELECT query_id, record, actor, weight FROM signals WHERE query_id IN (SELECT value FROM json_each(?)) AND record IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(used.map((u) => u.id)), JSON.stringify(records)) as { query_id: number; record: string; actor: string; weight: number }[];
    // One actor, one record: its strongest (by magnitude) faded signal.
    const strongest = new Map<string, number>();
    for (const r of rows) {
      const w = r.weight * fade.get(r.query_id)!;
      const key = `${r.record}\u0000${r.actor}`;
      const was = strongest.get(key);
      if (was === undefined || Math.abs(w) > Math.abs(was)) strongest.set(key, w);
    }
    for (const [key, w] of strongest) {
      const record = key.slice(0, key.indexOf('\u0000'));
      const v = out.get(record) ?? { sum: 0, users: 0 };
      v.sum += w;
      v.users++;
      out.set(record, v);
    }
    return out;
  }

  /** Forget a collection's feedback (dropped). */
  drop(tenant: string, collection: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM signals WHERE query_id IN (SELECT id FROM queries WHERE tenant = ? AND collection = ?)').run(tenant, collection);
      this.db.prepare('DELETE FROM queries WHERE tenant = ? AND collection = ?').run(tenant, collection);
    })();
    for (const key of this.queries.keys()) {
      const [t, c] = JSON.parse(key) as string[];
      if (t === tenant && c === collection) this.queries.delete(key);
    }
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Candidates (best first, oriented scores: higher = better) reranked by feedback: relevance
 * min–max normalized over the candidates, plus weight × tanh(votes / SATURATION).
 */
/** A record's boost from its votes, −1 … 1: tanh(sum / SATURATION), scaled by agreement users / (users + AGREEMENT). */
export function boostOf(v: Votes | undefined): number {
  if (!v || v.users === 0) return 0;
  return Math.tanh(v.sum / SATURATION) * (v.users / (v.users + AGREEMENT));
}

export function feedbackRerank<T extends { id: string; score: number }>(candidates: T[], votes: Map<string, Votes>, weight: number, lowerIsBetter: boolean): (T & { boost: number; combined: number })[] {
  const rel = candidates.map((h) => (lowerIsBetter ? -h.score : h.score));
  const lo = Math.min(...rel);
  const hi = Math.max(...rel);
  const out = candidates.map((h, i) => {
    const boost = boostOf(votes.get(h.id));
    const r = hi > lo ? (rel[i] - lo) / (hi - lo) : 1;
    return { ...h, boost, combined: r + weight * boost, at: i };
  });
  out.sort((a, b) => b.combined - a.combined || a.at - b.at);
  return out.map(({ at: _at, ...h }) => h as unknown as T & { boost: number; combined: number });
}
