/**
 * A collection's change feed, kept in its SQLite file beside the records: one row per upserted
 * or deleted record, written in the write's own transaction (RecordStore calls `log`), read by
 * sequence number, and let go by the retention. The record store owns the connection and the
 * sequence; this owns the `changes` table and the `changes_floor` setting.
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';

/**
 * One row per upserted or deleted record, keyed by its sequence number. `tx` is the sequence
 * number of the write's first change (a write's changes share it); op 1 = upsert, 2 = delete.
 * Every change above the `changes_floor` setting is here.
 */
const CHANGES_SCHEMA = `
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY, tx INTEGER NOT NULL, op INTEGER NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL);
`;

export type ChangeOp = 'upsert' | 'delete';

export interface ChangeRow {
  seq: number;
  tx: number;
  op: ChangeOp;
  id: string;
  /** Unix milliseconds of the write. */
  at: number;
}

/** How long the change feed is kept: a change goes only when both say it may. */
export interface ChangeRetention {
  /** Keep at least the changes of this many milliseconds (default 7 days). */
  minAgeMs: number;
  /** Keep at least this many most recent changes (default 1,000,000). */
  minCount: number;
}

export const DEFAULT_CHANGE_RETENTION: ChangeRetention = { minAgeMs: 7 * 24 * 3600_000, minCount: 1_000_000 };

/** Changes written between two looks at what the retention lets go. */
const PRUNE_EVERY = 4096;
/** Most changes one look lets go: a lowered retention is applied over several writes, never in one long transaction. */
const PRUNE_MAX = 50_000;

/** The stored op codes (1 upsert, 2 delete) by name. */
const OPS: ChangeOp[] = ['upsert', 'upsert', 'delete'];
export const UPSERT = 1;
export const DELETE = 2;

export interface ChangeLogOptions {
  readonly: boolean;
  retention?: ChangeRetention;
  /** Told when applying the retention failed (after a committed write). */
  onPruneError?: (e: Error) => void;
}

export class ChangeLog {
  private readonly st: Record<string, Statement>;
  private readonly retention: ChangeRetention;
  private readonly onPruneError: (e: Error) => void;
  /** Changes written since the retention was last applied. */
  private unpruned = PRUNE_EVERY;

  /**
   * Inside the store's opening transaction: make the table. Collections made before the change
   * feed get it starting at their current sequence.
   */
  static migrate(db: Database.Database): void {
    const hadChanges = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'changes'").get() !== undefined;
    db.exec(CHANGES_SCHEMA);
    if (!hadChanges) db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES ('changes_floor', COALESCE((SELECT value FROM settings WHERE key = 'seq'), '0'))").run();
  }

  constructor(
    private readonly db: Database.Database,
    opts: ChangeLogOptions,
  ) {
    this.retention = opts.retention ?? DEFAULT_CHANGE_RETENTION;
    this.onPruneError = opts.onPruneError ?? (() => undefined);
    const p = (sql: string) => db.prepare(sql);
    const write = (sql: string) => (opts.readonly ? p('SELECT 1') : p(sql));
    this.st = {
      log: write('INSERT INTO changes (seq, tx, op, id, at) VALUES (?, ?, ?, ?, ?)'),
      read: p('SELECT seq, tx, op, id, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?').raw(),
      oldest: p('SELECT min(seq) FROM changes').pluck(),
      floor: p("SELECT value FROM settings WHERE key = 'changes_floor'").pluck(),
      setFloor: write("INSERT INTO settings (key, value) VALUES ('changes_floor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      prune: write('DELETE FROM changes WHERE seq <= ?'),
      atOf: p('SELECT at FROM changes WHERE seq >= ? ORDER BY seq LIMIT 1').pluck(),
    };
  }

  /** Inside a write's transaction: change `seq` of the write whose first change is `tx`. */
  log(seq: number, tx: number, op: typeof UPSERT | typeof DELETE, id: string, at: number): void {
    this.st.log.run(seq, tx, op, id, at);
  }

  /**
   * The feed after `since`, at most `limit` changes in sequence order. `oldest` is the first
   * sequence number still kept: a reader whose `since` is below `oldest - 1` has missed changes
   * the retention let go. `latest` is the store's sequence, passed in.
   */
  read(since: number, limit: number, latest: number): { changes: ChangeRow[]; oldest: number; latest: number } {
    // One connection, used synchronously: no write lands between these statements.
    const rows = this.st.read.all(since, limit) as [number, number, number, string, number][];
    return {
      changes: rows.map(([seq, tx, op, id, at]) => ({ seq, tx, op: OPS[op], id, at })),
      oldest: this.oldest(latest),
      latest,
    };
  }

  /** The first sequence number the feed still holds (latest + 1 when it holds none). */
  oldest(latest: number): number {
    const min = this.st.oldest.get() as number | null;
    return Math.max(min ?? latest + 1, this.floor() + 1);
  }

  private floor(): number {
    return Number((this.st.floor.get() as string | undefined) ?? 0);
  }

  /**
   * After a committed write of `n` changes: apply the retention now and then. A prune that
   * fails (a full disk) is reported, never thrown at the writer — the changes it meant to let
   * go are simply kept.
   */
  afterWrite(n: number, latest: number): void {
    this.unpruned += n;
    if (this.unpruned < PRUNE_EVERY) return;
    this.unpruned = 0;
    try {
      this.prune(Date.now(), latest);
    } catch (e) {
      this.onPruneError(e as Error);
    }
  }

  /**
   * Let go of the changes the retention no longer keeps (as of `now`, the store at `latest`), at
   * most PRUNE_MAX at a time; how many went. A change goes when it is older than `minAgeMs` and
   * `minCount` newer ones exist. The floor moves in the same transaction.
   */
  prune(now: number, latest: number): number {
    const floor = this.floor();
    const upTo = Math.min(latest - this.retention.minCount, floor + PRUNE_MAX);
    if (upTo <= floor) return 0;
    const before = now - this.retention.minAgeMs;
    // Writes are timestamped in commit order, so `at` grows with seq: the last change older
    // than `before` is found by bisection (about 20 lookups by key), not by scanning every
    // younger change. A clock stepping back only shifts the cut by the step.
    let lo = floor;
    let hi = upTo;
    while (lo < hi) {
      const mid = lo + Math.ceil((hi - lo) / 2);
      const at = this.st.atOf.get(mid) as number | undefined;
      if (at !== undefined && at < before) lo = mid;
      else hi = mid - 1;
    }
    const cut = lo;
    if (cut <= floor) return 0;
    return this.db.transaction(() => {
      const gone = this.st.prune.run(cut).changes;
      this.st.setFloor.run(String(cut));
      return gone;
    })();
  }
}
