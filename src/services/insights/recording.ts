/**
 * Recorded searches: per collection and opt in, a bounded ring of the searches it answered —
 * the request, the result ids and scores, the plan and the time taken — to replay against later
 * data (replay.ts) and to read the query mix from (index advice).
 *
 * Kept in the collection's own directory, in a SQLite file of its own (searches.db): the ring
 * survives restarts, goes with the collection when it is dropped, and never takes the records
 * database's write lock. A search only appends to a list in memory; the list is written in one
 * transaction at most a second later (or once 500 wait, or before a read), with
 * synchronous=NORMAL: a power cut may lose the last second of recordings, never records.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Collection } from '../../engine/index.js';
import type { SearchAnswer, SearchBody } from '../search.js';

export const RECORDING_FILE = 'searches.db';
export const DEFAULT_RECORDING_SIZE = 1000;
export const MAX_RECORDING_SIZE = 10_000;
/** Longest a recorded search waits in memory before it is written… */
const FLUSH_MS = 1000;
/** …or until this many wait. */
const FLUSH_BATCH = 500;
/** Query vectors with more components are left out of listings (they are kept for replay). */
export const LISTED_VECTOR = 16;

interface Row {
  id: number;
  at: number;
  body: string;
  vector: Buffer | null;
  plan: string;
  results: string;
  took_ms: number;
}

export interface RecordedSearch {
  id: string;
  at: string;
  /** The body as sent (without `explain`); its vector (stored as float32) as numbers. */
  request: SearchBody;
  /** The query vector's dimension when it was left out of `request` (listings, vectors over LISTED_VECTOR components). */
  vectorElided?: number;
  plan: string;
  results: { id: string; score: number }[];
  took_ms: number;
}

export interface RecordingState {
  enabled: boolean;
  /** The most searches kept: older ones are dropped as new ones come. */
  size: number;
  /** Searches kept now. */
  recorded: number;
  oldest: string | null;
  newest: string | null;
}

/** One collection's recording: its settings, its file (opened once recording was first turned on) and what waits to be written. */
class Ring {
  enabled = false;
  size = DEFAULT_RECORDING_SIZE;
  nextId = 1;
  pending: Row[] = [];
  timer: NodeJS.Timeout | null = null;
  constructor(public db: Database.Database | null) {}
}

export class SearchRecorder {
  private readonly rings = new Map<Collection, Ring>();

  constructor(private readonly warn: (o: Record<string, unknown>, msg: string) => void = () => undefined) {}

  /**
   * Called after every search the service answers: nothing but a map lookup unless the
   * collection records, then an append to memory. Never throws (a search must not fail because
   * it could not be recorded).
   */
  record(c: Collection, body: SearchBody, answer: SearchAnswer): void {
    try {
      const ring = this.ringOf(c);
      if (!ring.enabled) return;
      // eslint-disable-next-line @typescript-eslint/no-unused-vars
      const { vector, explain, ...rest } = body;
      const blob = vector === undefined ? null : typeof vector === 'string' ? Buffer.from(vector, 'base64') : Buffer.from(Float32Array.from(vector).buffer);
      ring.pending.push({
        id: ring.nextId++,
        at: Date.now(),
        body: JSON.stringify(rest),
        vector: blob,
        plan: answer.plan,
        results: JSON.stringify(answer.results.map((h) => [h.id, h.score])),
        took_ms: answer.took_ms,
      });
      if (ring.pending.length > ring.size) ring.pending.splice(0, ring.pending.length - ring.size);
      if (ring.pending.length >= FLUSH_BATCH) this.flush(c, ring);
      else ring.timer ??= setTimeout(() => this.flush(c, ring), FLUSH_MS).unref();
    } catch (e) {
      this.warn({ dir: c.dir, err: (e as Error).message }, 'search not recorded');
    }
  }

  /** Turn recording on or off, or resize the ring (a smaller size drops the oldest at once). Off keeps what was recorded. */
  configure(c: Collection, opts: { enabled?: boolean; size?: number }): RecordingState {
    const ring = this.ringOf(c);
    // Turning off what was never on writes nothing.
    if (!ring.db && !opts.enabled && opts.size === undefined) return this.state(c);
    ring.db ??= this.open(c, ring);
    if (opts.enabled !== undefined) ring.enabled = opts.enabled;
    if (opts.size !== undefined) ring.size = opts.size;
    const put = ring.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    ring.db.transaction(() => {
      put.run('enabled', ring.enabled ? '1' : '0');
      put.run('size', String(ring.size));
    })();
    this.flush(c, ring);
    return this.state(c);
  }

  state(c: Collection): RecordingState {
    const ring = this.ringOf(c);
    this.flush(c, ring);
    const out: RecordingState = { enabled: ring.enabled, size: ring.size, recorded: 0, oldest: null, newest: null };
    if (!ring.db) return out;
    const r = ring.db.prepare('SELECT COUNT(*) AS n, MIN(at) AS oldest, MAX(at) AS newest FROM searches').get() as { n: number; oldest: number | null; newest: number | null };
    out.recorded = r.n;
    out.oldest = r.oldest === null ? null : new Date(r.oldest).toISOString();
    out.newest = r.newest === null ? null : new Date(r.newest).toISOString();
    return out;
  }

  /** The latest `limit` recorded searches, newest first; vectors over LISTED_VECTOR components left out unless `vectors`. */
  list(c: Collection, limit: number, vectors = false): RecordedSearch[] {
    const ring = this.ringOf(c);
    this.flush(c, ring);
    if (!ring.db) return [];
    const rows = ring.db.prepare('SELECT * FROM searches ORDER BY id DESC LIMIT ?').all(limit) as Row[];
    return rows.map((r) => toRecorded(r, vectors ? 'numbers' : 'listing'));
  }

  /** One recorded search as listings show it, and its body with the vector as base64 (for the search service as it is); or null. */
  get(c: Collection, id: string): { entry: RecordedSearch; body: SearchBody } | null {
    if (!/^[1-9][0-9]{0,14}$/.test(id)) return null;
    const ring = this.ringOf(c);
    this.flush(c, ring);
    const row = ring.db?.prepare('SELECT * FROM searches WHERE id = ?').get(Number(id)) as Row | undefined;
    return row ? { entry: toRecorded(row, 'listing'), body: toRecorded(row, 'base64').request } : null;
  }

  /** Forget every recorded search (the settings stay). */
  clear(c: Collection): void {
    const ring = this.ringOf(c);
    ring.pending = [];
    ring.db?.prepare('DELETE FROM searches').run();
  }

  /** Write what waits and close every file (at shutdown, before the collections close). */
  close(): void {
    for (const [c, ring] of this.rings) this.closeRing(c, ring, true);
    this.rings.clear();
  }

  private ringOf(c: Collection): Ring {
    let ring = this.rings.get(c);
    if (ring) return ring;
    // Rings of dropped (closed) collections go when a new one comes: rare, and bounded by the collections opened.
    for (const [other, r] of this.rings) if (!other.isOpen) this.closeRing(other, r, false);
    const file = join(c.dir, RECORDING_FILE);
    ring = new Ring(null);
    if (existsSync(file)) ring.db = this.open(c, ring);
    this.rings.set(c, ring);
    return ring;
  }

  /** Open (creating) the collection's file and read the ring's settings from it. */
  private open(c: Collection, ring: Ring): Database.Database {
    const db = new Database(join(c.dir, RECORDING_FILE));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS searches (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL, vector BLOB, plan TEXT NOT NULL, results TEXT NOT NULL, took_ms REAL NOT NULL);`);
      const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      ring.enabled = meta.get('enabled') === '1';
      ring.size = Number(meta.get('size') ?? DEFAULT_RECORDING_SIZE);
      ring.nextId = ((db.prepare('SELECT MAX(id) AS m FROM searches').get() as { m: number | null }).m ?? 0) + 1;
      return db;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** Write the waiting searches and drop those beyond the ring's size, in one transaction. */
  private flush(c: Collection, ring: Ring): void {
    if (ring.timer) clearTimeout(ring.timer);
    ring.timer = null;
    if (!ring.db) return;
    if (!c.isOpen) {
      // Dropped (or closing): the file has gone, or goes, with the collection's directory.
      this.closeRing(c, ring, false);
      return;
    }
    const rows = ring.pending;
    ring.pending = [];
    const db = ring.db;
    try {
      db.transaction(() => {
        const insert = db.prepare('INSERT INTO searches (id, at, body, vector, plan, results, took_ms) VALUES (@id, @at, @body, @vector, @plan, @results, @took_ms)');
        for (const r of rows) insert.run(r);
        db.prepare('DELETE FROM searches WHERE id < ?').run(ring.nextId - ring.size);
      })();
    } catch (e) {
      this.warn({ dir: c.dir, err: (e as Error).message, lost: rows.length }, 'recorded searches not written');
    }
  }

  private closeRing(c: Collection, ring: Ring, write: boolean): void {
    if (write && c.isOpen) this.flush(c, ring);
    if (ring.timer) clearTimeout(ring.timer);
    ring.timer = null;
    ring.pending = [];
    ring.enabled = false;
    try {
      ring.db?.close();
    } catch (e) {
      // A dropped collection's directory is gone: SQLite cannot tidy its files, nothing is lost.
      this.warn({ dir: c.dir, err: (e as Error).message }, 'recorded searches file not closed cleanly');
    }
    ring.db = null;
    this.rings.delete(c);
  }
}

function toRecorded(r: Row, vector: 'base64' | 'numbers' | 'listing'): RecordedSearch {
  const request = JSON.parse(r.body) as SearchBody;
  let vectorElided: number | undefined;
  if (r.vector) {
    const dimension = r.vector.length / 4;
    if (vector === 'base64') request.vector = r.vector.toString('base64');
    else if (vector === 'listing' && dimension > LISTED_VECTOR) vectorElided = dimension;
    else request.vector = Array.from(new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + r.vector.length)));
  }
  return {
    id: String(r.id),
    at: new Date(r.at).toISOString(),
    request,
    ...(vectorElided === undefined ? {} : { vectorElided }),
    plan: r.plan,
    results: (JSON.parse(r.results) as [string, number][]).map(([id, score]) => ({ id, score })),
    took_ms: r.took_ms,
  };
}
