/**
 * PostgreSQL for the scale-out mode (docs/scale-out.md): the pool, the versioned migrations
 * (applied at start under an advisory lock, so nodes starting at once apply each exactly
 * once), and a LISTEN connection that reconnects by itself.
 */
import pg from 'pg';
import { VectraError } from '../errors.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Migrations, in order; a migration is never edited once released, only followed by another. */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'system of record: accounts, collections, records, change feed, nodes',
    sql: `
      CREATE SEQUENCE account_versions;
      CREATE TABLE tenants (id text PRIMARY KEY, name text NOT NULL, created_at bigint NOT NULL, version bigint NOT NULL DEFAULT nextval('account_versions'));
      CREATE TABLE api_keys (
        id text PRIMARY KEY, tenant_id text NOT NULL REFERENCES tenants(id), name text NOT NULL, prefix text NOT NULL, hash bytea NOT NULL,
        scopes text NOT NULL, created_at bigint NOT NULL, expires_at bigint, revoked_at bigint,
        version bigint NOT NULL DEFAULT nextval('account_versions'));
      CREATE INDEX api_keys_version ON api_keys(version);
      CREATE INDEX tenants_version ON tenants(version);
      CREATE TABLE collections (
        tenant_id text NOT NULL, name text NOT NULL, instance text NOT NULL, config jsonb NOT NULL,
        seq bigint NOT NULL DEFAULT 0, created_at bigint NOT NULL, PRIMARY KEY (tenant_id, name));
      CREATE TABLE records (
        tenant_id text NOT NULL, collection text NOT NULL, id text NOT NULL, vector bytea NOT NULL, text text,
        metadata jsonb NOT NULL, seq bigint NOT NULL, updated_at bigint NOT NULL,
        PRIMARY KEY (tenant_id, collection, id));
      CREATE TABLE changes (
        tenant_id text NOT NULL, collection text NOT NULL, seq bigint NOT NULL, tx bigint NOT NULL, op text NOT NULL,
        id text NOT NULL, at bigint NOT NULL, PRIMARY KEY (tenant_id, collection, seq));
      CREATE TABLE nodes (id text PRIMARY KEY, url text, started_at bigint NOT NULL, heartbeat_at bigint NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'conversations',
    sql: `
      CREATE TABLE conversations (id text PRIMARY KEY, tenant_id text NOT NULL, title text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL);
      CREATE INDEX conversations_tenant ON conversations(tenant_id, updated_at);
      CREATE TABLE messages (conversation_id text NOT NULL, pos int NOT NULL, role text NOT NULL, content text NOT NULL, citations text, created_at bigint NOT NULL,
        PRIMARY KEY (conversation_id, pos));
    `,
  },
  {
    version: 3,
    name: 'jobs seen from every node',
    sql: `
      CREATE TABLE jobs (id text PRIMARY KEY, tenant_id text NOT NULL, node_id text NOT NULL, view text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL,
        cancel_requested boolean NOT NULL DEFAULT false);
      CREATE INDEX jobs_tenant ON jobs(tenant_id, created_at);
      CREATE INDEX jobs_cancel ON jobs(node_id) WHERE cancel_requested;
    `,
  },
  {
    version: 4,
    name: 'webhooks and their delivery outbox, shared by the nodes',
    sql: `
      CREATE TABLE webhooks (
        id text PRIMARY KEY, tenant_id text NOT NULL, url text NOT NULL, events jsonb NOT NULL, collections jsonb, description text,
        secret text NOT NULL, status text NOT NULL, created_at bigint NOT NULL, consecutive_failures int NOT NULL DEFAULT 0,
        disabled_reason text, missed_changes bigint NOT NULL DEFAULT 0, last_missed_at bigint);
      CREATE INDEX webhooks_tenant ON webhooks(tenant_id, created_at);
      CREATE TABLE webhook_deliveries (
        n bigserial PRIMARY KEY, id text NOT NULL UNIQUE, webhook_id text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        tenant_id text NOT NULL, event text NOT NULL, body text NOT NULL, status text NOT NULL, attempts int NOT NULL DEFAULT 0,
        last_status_code int, last_error text, next_attempt_at bigint, claim text, created_at bigint NOT NULL, delivered_at bigint);
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(webhook_id, next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_next ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, n);
      CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(created_at) WHERE status <> 'pending';
      CREATE TABLE webhook_cursors (
        tenant_id text NOT NULL, collection text NOT NULL, instance text NOT NULL, seq bigint NOT NULL,
        PRIMARY KEY (tenant_id, collection, instance));
    `,
  },
  {
    version: 5,
    name: 'jobs run by any node: the queue and the uploads in PostgreSQL',
    sql: `
      ALTER TABLE jobs ADD COLUMN status text, ADD COLUMN type text, ADD COLUMN state text, ADD COLUMN payload_bytes bigint,
        ADD COLUMN owner text, ADD COLUMN lease_until bigint, ADD COLUMN progress bigint NOT NULL DEFAULT 0, ADD COLUMN claims int NOT NULL DEFAULT 0;
      UPDATE jobs SET status = view::jsonb->>'status', type = view::jsonb->>'type';
      -- Jobs of version 3 still open have their upload on their node's disk, which no node reads any more.
      UPDATE jobs SET status = 'failed', view = jsonb_set(jsonb_set(view::jsonb, '{status}', '"failed"'), '{error}',
        '{"code": "INTERNAL", "message": "this job was taken before the upgrade that runs jobs on any node, and its upload was left on its node: upload it again"}')::text
        WHERE status IN ('queued', 'running');
      ALTER TABLE jobs ALTER COLUMN status SET NOT NULL, ALTER COLUMN type SET NOT NULL;
      CREATE INDEX jobs_open ON jobs(created_at) WHERE status IN ('queued', 'running');
      CREATE INDEX jobs_owner ON jobs(owner) WHERE cancel_requested AND status IN ('queued', 'running');
      CREATE TABLE job_files (job_id text NOT NULL, part int NOT NULL, data bytea NOT NULL, PRIMARY KEY (job_id, part));
    `,
  },
  {
    version: 6,
    name: 'change feed retention: each collection\'s floor (the last seq let go)',
    sql: `ALTER TABLE collections ADD COLUMN changes_floor bigint NOT NULL DEFAULT 0;`,
  },
  {
    version: 7,
    name: 'placement: which node holds which replica, and the secret nodes vouch for forwarded requests with',
    sql: `
      CREATE TABLE placements (node_id text NOT NULL, tenant_id text NOT NULL, collection text NOT NULL, instance text NOT NULL,
        loaded boolean NOT NULL, applied bigint NOT NULL, stats jsonb, updated_at bigint NOT NULL,
        PRIMARY KEY (node_id, tenant_id, collection));
      CREATE INDEX placements_collection ON placements(tenant_id, collection);
      CREATE TABLE cluster_secret (id int PRIMARY KEY CHECK (id = 1), secret text NOT NULL);
      INSERT INTO cluster_secret VALUES (1, encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text)::bytea), 'hex'));
    `,
  },
];

/** PostgreSQL's clock in milliseconds, for what nodes compare (heartbeats): one clock for all. */
export const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

const MIGRATION_LOCK = 0x76656374; // "vect"

/** A statement running longer is cancelled by PostgreSQL; a query waiting longer for its answer (a half-open connection) fails here. */
const STATEMENT_TIMEOUT_MS = 30_000;
const QUERY_TIMEOUT_MS = 35_000;

export function openPool(url: string, onError: (e: Error) => void, max = 10): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  // An idle client losing its server (PostgreSQL restarted) is reported here, not thrown.
  pool.on('error', onError);
  return pool;
}

/** Apply the migrations not yet applied, one transaction each, holding the advisory lock. */
export async function migrate(pool: Pool): Promise<number[]> {
  const c = await pool.connect();
  const onError = () => undefined; // a lost connection fails the next query here; it must not be an uncaught 'error'
  c.on('error', onError);
  const applied: number[] = [];
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await c.query('BEGIN');
      try {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await c.query('COMMIT');
        applied.push(m.version);
      } catch (e) {
        await c.query('ROLLBACK');
        throw e;
      }
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    c.off('error', onError);
    c.release(true);
  }
  return applied;
}

/** Whether an error means PostgreSQL cannot be reached (down, restarting, refusing), as opposed to a query's own error. */
export function unreachable(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (err?.code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|57P01|57P02|57P03|08000|08001|08003|08004|08006|53300)$/.test(err.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(err?.message ?? '');
}

/** Run `work` in a transaction; PostgreSQL out of reach → 503 DATABASE_UNAVAILABLE (nothing was written). */
export async function inTransaction<T>(pool: Pool, work: (c: PoolClient) => Promise<T>): Promise<T> {
  let c: PoolClient;
  try {
    c = await pool.connect();
  } catch (e) {
    throw unavailable(e);
  }
  // A checked-out client has no error listener of the pool's: without this one, PostgreSQL
  // dropping the connection mid-transaction (a restart) would be an uncaught exception.
  let broken: Error | undefined;
  const onError = (e: Error) => (broken = e);
  c.on('error', onError);
  let committing = false;
  try {
    await c.query('BEGIN');
    const out = await work(c);
    committing = true;
    await c.query('COMMIT');
    return out;
  } catch (e) {
    if (!committing) await c.query('ROLLBACK').catch(() => undefined);
    if (committing && unreachable(e)) throw new VectraError('DATABASE_UNAVAILABLE', `the connection to PostgreSQL was lost while committing (${(e as Error).message}): the write may or may not have been stored; read it back, or retry it (writes by id are idempotent)`);
    broken ??= unreachable(e) ? (e as Error) : undefined;
    throw unreachable(e) ? unavailable(e) : e;
  } finally {
    c.off('error', onError);
    // A broken client is destroyed rather than returned to the pool.
    c.release(broken);
  }
}

/** A read; PostgreSQL out of reach → 503 DATABASE_UNAVAILABLE. */
export async function query<R extends pg.QueryResultRow>(pool: Pool, sql: string, params: unknown[] = []): Promise<R[]> {
  try {
    return (await pool.query<R>(sql, params)).rows;
  } catch (e) {
    throw unreachable(e) ? unavailable(e) : e;
  }
}

export function unavailable(e: unknown): VectraError {
  if (e instanceof VectraError) return e;
  return new VectraError('DATABASE_UNAVAILABLE', `the database (PostgreSQL) cannot be reached (${(e as Error).message}); nothing was written: retry when it is back`);
}

/**
 * A dedicated connection LISTENing on channels; on loss it reconnects with backoff (up to 5 s)
 * and calls `onReconnect` — notifications sent meanwhile are lost, so listeners catch up from
 * the tables then.
 */
export class Listener {
  private client: pg.Client | null = null;
  private closed = false;
  private delay = 100;
  private retrying = false;
  connected = false;

  constructor(
    private readonly url: string,
    private readonly channels: string[],
    private readonly onNotify: (channel: string, payload: string) => void,
    private readonly onReconnect: () => void,
    private readonly log: (msg: string, err?: string) => void,
  ) {}

  /** Connect; on failure, keep trying in the background (one chain of attempts, never more). */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (e) {
      this.log('LISTEN connection to PostgreSQL failed; retrying', (e as Error).message);
      this.retry();
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000, keepAlive: true });
    // This client is the current one from now on: its errors and end are the ones that count.
    this.client = client;
    client.on('notification', (n) => this.onNotify(n.channel, n.payload ?? ''));
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      for (const ch of this.channels) await client.query(`LISTEN ${ch}`);
    } catch (e) {
      if (this.client === client) this.client = null;
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw e;
    }
    if (this.client !== client || this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.connected = true;
    this.delay = 100;
  }

  private lost(client: pg.Client, e: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (this.closed) return;
    if (this.connected) this.log('lost the LISTEN connection to PostgreSQL; reconnecting', e.message);
    this.connected = false;
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.retrying) return;
    this.retrying = true;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, 5000);
    setTimeout(() => {
      this.connect().then(
        () => {
          this.retrying = false;
          if (this.connected) {
            this.log('LISTEN connection to PostgreSQL back');
            this.onReconnect();
          }
        },
        () => {
          this.retrying = false;
          this.retry();
        },
      );
    }, wait).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = null;
    this.connected = false;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
