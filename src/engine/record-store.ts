/**
 * The source of truth: one SQLite file per collection in WAL mode. Every change (a record
 * upserted or deleted) takes the next sequence number, in the write's own transaction, and is
 * logged in `changes` — the collection's change feed (change-log.ts). Vector index snapshots say which
 * sequence they cover, and replay what came after from here (`records.seq`, `tombstones.seq`).
 */
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { ChangeLog, DELETE, UPSERT, type ChangeRetention, type ChangeRow } from './change-log.js';
import { flattenMetadata } from './filter.js';
import type { CollectionConfig, Metadata } from './types.js';

const FORMAT = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  label INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  vector BLOB NOT NULL,
  text TEXT,
  metadata TEXT NOT NULL,
  seq INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_seq ON records(seq);
CREATE TABLE IF NOT EXISTS fields (
  path TEXT NOT NULL, t INTEGER NOT NULL, v NOT NULL, label INTEGER NOT NULL,
  PRIMARY KEY (path, t, v, label)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fields_label ON fields(label);
CREATE TABLE IF NOT EXISTS tombstones (label INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tombstones_seq ON tombstones(seq);
`;

/**
 * Keyword search: an FTS5 index over records.text (external content: the text is stored
 * once, in records), kept in step by triggers inside each write's transaction. Porter
 * stemming over unicode61 with diacritics folded: "kills" finds "kill", "café" finds "cafe".
 */
const FTS_SCHEMA = `
CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(
  text, content = 'records', content_rowid = 'label', tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS records_fts_insert AFTER INSERT ON records BEGIN
  INSERT INTO records_fts (rowid, text) VALUES (new.label, new.text);
END;
CREATE TRIGGER IF NOT EXISTS records_fts_delete AFTER DELETE ON records BEGIN
  INSERT INTO records_fts (records_fts, rowid, text) VALUES ('delete', old.label, old.text);
END;
CREATE TRIGGER IF NOT EXISTS records_fts_update AFTER UPDATE OF text ON records BEGIN
  INSERT INTO records_fts (records_fts, rowid, text) VALUES ('delete', old.label, old.text);
  INSERT INTO records_fts (rowid, text) VALUES (new.label, new.text);
END;
`;

/** Markers around matched terms in highlighted snippets. */
export interface HighlightMarks {
  pre: string;
  post: string;
}

export interface RecordRow {
  label: number;
  id: string;
  vector: Buffer;
  text: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
}

export interface PreparedRecord {
  id: string;
  /** Full-precision vector as given by the caller. */
  vector: Float32Array;
  text: string | null;
  metadata: Metadata;
}

export interface WriteResult {
  /** The sequence number of the write's last change; its first is `seq - labels.length + 1`. */
  seq: number;
  /** Labels whose vectors changed, with their ids and vectors, in batch order, deduplicated. */
  labels: number[];
  ids: string[];
  vectors: Float32Array[];
  inserted: number;
  updated: number;
}

export interface DeleteResult {
  /** The sequence number of the write's last change (unchanged when nothing was deleted). */
  seq: number;
  /** Labels deleted, with their ids, in the feed's order. */
  deleted: number[];
  ids: string[];
}

/** What a replace deletes besides its upserts: records passing a SQL filter, or these ids. */
export type RemoveTarget = { sql: string; params: unknown[] } | { ids: string[] };

/** A record given twice in one batch is stored once, as its last occurrence: one change each. */
function lastOfEach(records: PreparedRecord[]): PreparedRecord[] {
  const last = new Map<string, PreparedRecord>();
  for (const r of records) {
    last.delete(r.id);
    last.set(r.id, r);
  }
  return [...last.values()];
}

export function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** A Float32Array over a blob, copying only when the blob is not 4-byte aligned. */
export function blobToVector(blob: Buffer): Float32Array {
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

export interface StoreOptions {
  readonly?: boolean;
  /** "full" fsyncs every commit (survives power loss); "normal" survives process crashes only. */
  synchronous?: 'full' | 'normal';
  changeRetention?: ChangeRetention;
  /** Told when applying the change feed's retention failed (after a committed write). */
  onPruneError?: (e: Error) => void;
}

export class RecordStore {
  readonly db: Database.Database;
  private seq: number;
  private readonly st: Record<string, Statement>;
  private readonly log: ChangeLog;

  constructor(path: string, opts: StoreOptions = {}) {
    this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (!opts.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      this.db.exec(SCHEMA);
      // Collections made before keyword search get their text index built once, here.
      // One transaction: a crash mid-way must not leave the table without the rebuild.
      this.db.transaction(() => {
        const hadFts = this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'records_fts'").get() !== undefined;
        this.db.exec(FTS_SCHEMA);
        if (!hadFts) this.db.exec("INSERT INTO records_fts (records_fts) VALUES ('rebuild')");
        ChangeLog.migrate(this.db);
      })();
    }
    this.db.pragma('busy_timeout = 5000');
    // Searches read scattered rows: keep more pages than SQLite's default 2 MB, but not much
    // more: every collection has its own cache, and the OS caches the file anyway (16 MB cost
    // 12 MB of a 100k server's resident memory for no measurable speed: docs/benchmarks.md).
    this.db.pragma('cache_size = -4096');
    this.seq = Number(this.setting('seq') ?? 0);
    this.log = new ChangeLog(this.db, { readonly: opts.readonly ?? false, retention: opts.changeRetention, onPruneError: opts.onPruneError });
    const p = (sql: string) => this.db.prepare(sql);
    this.st = {
      setSetting: opts.readonly ? p('SELECT 1') : p('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      byId: p('SELECT label, created_at FROM records WHERE id = ?'),
      get: p('SELECT label, id, vector, text, metadata, created_at, updated_at FROM records WHERE id = ?'),
      insert: opts.readonly ? p('SELECT 1') : p('INSERT INTO records (id, vector, text, metadata, seq, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      update: opts.readonly ? p('SELECT 1') : p('UPDATE records SET vector = ?, text = ?, metadata = ?, seq = ?, updated_at = ? WHERE label = ?'),
      delRecord: opts.readonly ? p('SELECT 1') : p('DELETE FROM records WHERE label = ? RETURNING id').pluck(),
      byIds: p('SELECT label, id, text, metadata, created_at, updated_at FROM records WHERE id IN (SELECT value FROM json_each(?))'),
      delFields: opts.readonly ? p('SELECT 1') : p('DELETE FROM fields WHERE label = ?'),
      addField: opts.readonly ? p('SELECT 1') : p('INSERT OR IGNORE INTO fields (path, t, v, label) VALUES (?, ?, ?, ?)'),
      tombstone: opts.readonly ? p('SELECT 1') : p('INSERT OR REPLACE INTO tombstones (label, seq) VALUES (?, ?)'),
      payload: p('SELECT label, id, text, metadata, created_at, updated_at FROM records WHERE label IN (SELECT value FROM json_each(?))'),
      payloadVec: p('SELECT label, id, vector, text, metadata, created_at, updated_at FROM records WHERE label IN (SELECT value FROM json_each(?))'),
      allIds: p('SELECT label, id FROM records').raw(),
      vectors: p('SELECT label, vector FROM records WHERE label IN (SELECT value FROM json_each(?))'),
      metaVectors: p('SELECT label, vector, metadata FROM records WHERE label IN (SELECT value FROM json_each(?))'),
      allVectors: p('SELECT label, vector FROM records'),
      changedSince: p('SELECT label, vector FROM records WHERE seq > ? ORDER BY label'),
      // One row per batch: its count, last label, labels and vectors end to end (changedBatchesSince).
      // NOT INDEXED keeps the walk on the rowid, the plan SQLite chose for changedSince and
      // changedLabelsSince too (records_seq would mean sorting each batch anew).
      changedBatch: p("SELECT count(*) AS n, max(label) AS last, group_concat(label) AS labels, CAST(group_concat(vector, x'') AS BLOB) AS vectors FROM (SELECT label, vector FROM records NOT INDEXED WHERE seq > ? AND label > ? ORDER BY label LIMIT ?)"),
      // Few records changed: found through records_seq, then sorted (changedSince, `few`).
      changedByIndex: p('SELECT label, vector FROM records INDEXED BY records_seq WHERE seq > ? ORDER BY label'),
      changedLabelsSince: p('SELECT label FROM records WHERE seq > ? ORDER BY label').pluck(),
      tombstonesSince: p('SELECT label FROM tombstones WHERE seq > ?'),
      maxLabel: p("SELECT seq FROM sqlite_sequence WHERE name = 'records'").pluck(),
      pendingCount: p('SELECT (SELECT COUNT(*) FROM records WHERE seq > ?) + (SELECT COUNT(*) FROM tombstones WHERE seq > ?) AS n'),
      pruneTombstones: opts.readonly ? p('SELECT 1') : p('DELETE FROM tombstones WHERE seq <= ?'),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  setting(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** Store the config on first open; returns the stored one afterwards. */
  initConfig(config: CollectionConfig | null): CollectionConfig {
    const stored = this.setting('config');
    if (stored) return JSON.parse(stored) as CollectionConfig;
    if (!config) throw new Error('collection has no stored config');
    this.db.transaction(() => {
      this.st.setSetting.run('config', JSON.stringify(config));
      this.st.setSetting.run('format', String(FORMAT));
      this.st.setSetting.run('seq', '0');
    })();
    return config;
  }

  currentSeq(): number {
    return this.seq;
  }

  /**
   * Upsert a batch in one transaction: all records or none. Returns the labels whose
   * vectors the index must (re)insert.
   */
  upsert(records: PreparedRecord[]): WriteResult {
    const result = this.db.transaction(() => this.writeUpserts(lastOfEach(records), this.seq + 1, Date.now()))();
    this.seq = result.seq;
    this.log.afterWrite(result.labels.length, this.seq);
    return result;
  }

  /** Delete records by label in one transaction, leaving tombstones for snapshot replay. */
  deleteLabels(labels: number[]): DeleteResult {
    const result = this.db.transaction(() => this.writeDeletes(labels, this.seq + 1, this.seq, Date.now()))();
    this.seq = result.seq;
    this.log.afterWrite(result.deleted.length, this.seq);
    return result;
  }

  /**
   * Upsert a batch and delete the records `remove` names (a SQL filter over records, or ids)
   * that are not in the batch, in ONE transaction: a crash leaves all of it or none of it, and
   * the feed shows one write (one `tx`): the upserts, then the deletes. The records to delete
   * are looked up inside the transaction, after the upserts.
   */
  replace(records: PreparedRecord[], remove: RemoveTarget): { upserted: WriteResult; deleted: DeleteResult } {
    const run = this.db.transaction(() => {
      const tx = this.seq + 1;
      const now = Date.now();
      const upserted = this.writeUpserts(lastOfEach(records), tx, now);
      const kept = new Set(upserted.labels);
      const candidates = 'ids' in remove ? this.labelsOf(remove.ids) : this.matchingLabels(remove.sql, remove.params, Number.MAX_SAFE_INTEGER);
      const deleted = this.writeDeletes(candidates.filter((l) => !kept.has(l)), tx, upserted.seq, now);
      return { upserted, deleted };
    });
    const result = run();
    this.seq = result.deleted.seq;
    this.log.afterWrite(result.upserted.labels.length + result.deleted.deleted.length, this.seq);
    return result;
  }

  /** Inside a transaction: the upserts of a write whose first change is `tx`, numbered from there. */
  private writeUpserts(records: PreparedRecord[], tx: number, now: number): WriteResult {
    let seq = tx - 1;
    const labels: number[] = [];
    let inserted = 0;
    let updated = 0;
    for (const r of records) {
      seq++;
      const metadata = JSON.stringify(r.metadata);
      const existing = this.st.byId.get(r.id) as { label: number } | undefined;
      let label: number;
      if (existing) {
        label = existing.label;
        this.st.update.run(vectorToBlob(r.vector), r.text, metadata, seq, now, label);
        this.st.delFields.run(label);
        updated++;
      } else {
        label = Number(this.st.insert.run(r.id, vectorToBlob(r.vector), r.text, metadata, seq, now, now).lastInsertRowid);
        inserted++;
      }
      for (const [path, t, v] of flattenMetadata(r.metadata)) this.st.addField.run(path, t, v, label);
      this.log.log(seq, tx, UPSERT, r.id, now);
      labels.push(label);
    }
    if (records.length > 0) this.st.setSetting.run('seq', String(seq));
    return { seq, labels, ids: records.map((r) => r.id), vectors: records.map((r) => r.vector), inserted, updated };
  }

  /** Inside a transaction: deletes of a write whose first change is `tx`, numbered after `seq`. */
  private writeDeletes(labels: number[], tx: number, seq: number, now: number): DeleteResult {
    const deleted: number[] = [];
    const ids: string[] = [];
    for (const label of new Set(labels)) {
      const id = this.st.delRecord.get(label) as string | undefined;
      if (id === undefined) continue;
      seq++;
      this.st.delFields.run(label);
      this.st.tombstone.run(label, seq);
      this.log.log(seq, tx, DELETE, id, now);
      deleted.push(label);
      ids.push(id);
    }
    if (deleted.length > 0) this.st.setSetting.run('seq', String(seq));
    return { seq, deleted, ids };
  }

  /** The change feed after `since`, at most `limit` changes (ChangeLog.read). */
  changes(since: number, limit: number): { changes: ChangeRow[]; oldest: number; latest: number } {
    return this.log.read(since, limit, this.seq);
  }

  /** The stored rows of these ids (those that exist), by id. */
  rowsByIds(ids: string[]): Map<string, RecordRow> {
    const rows = this.st.byIds.all(JSON.stringify(ids)) as RecordRow[];
    return new Map(rows.map((r) => [r.id, r]));
  }

  labelOf(id: string): number | undefined {
    return (this.st.byId.get(id) as { label: number } | undefined)?.label;
  }

  /** Labels of the ids that exist, in the ids' order. */
  labelsOf(ids: string[]): number[] {
    return ids.map((id) => this.labelOf(id)).filter((l): l is number => l !== undefined);
  }

  getById(id: string): RecordRow | undefined {
    return this.st.get.get(id) as RecordRow | undefined;
  }

  payloads(labels: number[], withVector: boolean): Map<number, RecordRow> {
    const rows = (withVector ? this.st.payloadVec : this.st.payload).all(JSON.stringify(labels)) as RecordRow[];
    return new Map(rows.map((r) => [r.label, r]));
  }

  /** Every (label, id) pair, for the in-memory id map. */
  allIds(): IterableIterator<[number, string]> {
    return this.st.allIds.iterate() as IterableIterator<[number, string]>;
  }

  vectors(labels: number[]): { label: number; vector: Buffer }[] {
    return this.st.vectors.all(JSON.stringify(labels)) as { label: number; vector: Buffer }[];
  }

  metadataAndVectors(labels: number[]): { label: number; vector: Buffer; metadata: string }[] {
    return this.st.metaVectors.all(JSON.stringify(labels)) as { label: number; vector: Buffer; metadata: string }[];
  }

  iterateVectors(where?: { sql: string; params: unknown[] }): IterableIterator<{ label: number; vector: Buffer }> {
    if (!where) return this.st.allVectors.iterate() as IterableIterator<{ label: number; vector: Buffer }>;
    return this.db.prepare(`SELECT label, vector FROM records WHERE ${where.sql}`).iterate(...where.params) as IterableIterator<{ label: number; vector: Buffer }>;
  }

  /** Labels matching a SQL filter, at most `limit`. */
  matchingLabels(sql: string, params: unknown[], limit: number): number[] {
    return this.db.prepare(`SELECT label FROM records WHERE ${sql} LIMIT ?`).pluck().all(...params, limit) as number[];
  }

  countWhere(sql: string, params: unknown[]): number {
    return this.db.prepare(`SELECT COUNT(*) FROM records WHERE ${sql}`).pluck().get(...params) as number;
  }

  /**
   * Best BM25 matches of an FTS5 query among records passing a SQL filter: labels and scores
   * (higher is better — FTS5's bm25() is negated), best first.
   */
  keywordMatches(match: string, filter: { sql: string; params: unknown[] }, limit: number): { labels: number[]; scores: number[] } {
    const rows = this.db
      .prepare(`SELECT records.label AS label, bm25(records_fts) AS s FROM records_fts JOIN records ON records.label = records_fts.rowid WHERE records_fts MATCH ? AND (${filter.sql}) ORDER BY s LIMIT ?`)
      .raw()
      .all(match, ...filter.params, limit) as [number, number][];
    return { labels: rows.map((r) => r[0]), scores: rows.map((r) => -r[1]) };
  }

  /** For each label whose text matches, a fragment of it with the matched terms marked. */
  snippets(labels: number[], match: string, marks: HighlightMarks): Map<number, string> {
    if (labels.length === 0) return new Map();
    const rows = this.db
      .prepare("SELECT rowid, snippet(records_fts, 0, ?, ?, '…', 24) FROM records_fts WHERE records_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))")
      .raw()
      .all(marks.pre, marks.post, match, JSON.stringify(labels)) as [number, string][];
    return new Map(rows);
  }

  /** Each metadata path with each type it has (FieldType codes), by skipping along the fields index. */
  fieldTypes(): { path: string; t: number }[] {
    const first = this.db.prepare('SELECT path, t FROM fields ORDER BY path, t LIMIT 1');
    const next = this.db.prepare('SELECT path, t FROM fields WHERE (path, t) > (?, ?) ORDER BY path, t LIMIT 1');
    const out: { path: string; t: number }[] = [];
    for (let row = first.get() as { path: string; t: number } | undefined; row; row = next.get(row.path, row.t) as typeof row | undefined) out.push(row);
    return out;
  }

  /** Some values of a string field, to tell dates from other strings. */
  sampleStrings(path: string, limit: number): string[] {
    return this.db.prepare('SELECT v FROM fields WHERE path = ? AND t = 3 LIMIT ?').pluck().all(path, limit) as string[];
  }

  /** A page of records ordered by id, after `start.id` (or from it, when inclusive). */
  page(start: { id: string; inclusive: boolean } | null, limit: number, filter: { sql: string; params: unknown[] }, withVector: boolean): RecordRow[] {
    const cols = `label, id, ${withVector ? 'vector, ' : ''}text, metadata, created_at, updated_at`;
    const after = start === null ? '' : start.inclusive ? 'id >= ? AND ' : 'id > ? AND ';
    const args = start === null ? [...filter.params, limit] : [start.id, ...filter.params, limit];
    return this.db.prepare(`SELECT ${cols} FROM records WHERE ${after}(${filter.sql}) ORDER BY id LIMIT ?`).all(...args) as RecordRow[];
  }

  /** Labels of the records written after `seq` (live ones; deletions are tombstones). */
  changedLabelsSince(seq: number): number[] {
    return this.st.changedLabelsSince.all(seq) as number[];
  }

  /**
   * Records written after `seq`, in label order. SQLite plans this as a walk over every record;
   * `few` (the caller expects few changed records against the table's size) finds them through
   * the records_seq index instead and sorts them.
   */
  changedSince(seq: number, few = false): IterableIterator<{ label: number; vector: Buffer }> {
    return (few ? this.st.changedByIndex : this.st.changedSince).iterate(seq) as IterableIterator<{ label: number; vector: Buffer }>;
  }

  /**
   * The same records as `changedSince`, `batch` at a time in label order, each batch one row
   * from SQLite: its labels, and its vectors end to end in one blob (group_concat appends each
   * value's bytes by their length, so it is binary-safe in a UTF-8 database — SQLite's default,
   * never changed here; the labels and the vectors of a batch come from one pass over its rows,
   * so in the same order). A row and a Buffer per record
   * cost ~3 µs a record — 245–310 ms for the 97,000 a restart after a load reads back, where
   * this takes 75–150 ms with batches under malloc's mapping threshold (LiveIndex.readTail;
   * docs/benchmarks.md, "Ready after a crash: the waiting records read a batch at a time").
   * That walk visits every record: for few, `changedSince(seq, true)` reads through records_seq.
   */
  *changedBatchesSince(seq: number, batch: number): Generator<{ labels: number[]; vectors: Float32Array }> {
    for (let after = 0; ; ) {
      const row = this.st.changedBatch.get(seq, after, batch) as { n: number; last: number; labels: string; vectors: Buffer };
      if (row.n === 0) return;
      yield { labels: row.labels.split(',').map(Number), vectors: blobToVector(row.vectors) };
      after = row.last;
    }
  }

  tombstonesSince(seq: number): number[] {
    return (this.st.tombstonesSince.all(seq) as { label: number }[]).map((r) => r.label);
  }

  /** The highest label ever given (AUTOINCREMENT: labels are never reused), 0 if none. */
  maxLabel(): number {
    return (this.st.maxLabel.get() as number | undefined) ?? 0;
  }

  pendingSince(seq: number): number {
    return (this.st.pendingCount.get(seq, seq) as { n: number }).n;
  }

  /** Tombstones at or below a committed snapshot's sequence are no longer needed. */
  pruneTombstones(seq: number): void {
    this.st.pruneTombstones.run(seq);
  }

  /** Run `fn` inside one read transaction (a consistent view while others write). */
  readConsistent<T>(fn: () => T): T {
    this.db.exec('BEGIN');
    try {
      // Re-read the sequence inside the transaction: it is the state this view sees.
      this.seq = Number(this.setting('seq') ?? 0);
      return fn();
    } finally {
      this.db.exec('COMMIT');
    }
  }
}
