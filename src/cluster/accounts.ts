/**
 * The accounts of the scale-out mode: tenants and API keys in PostgreSQL, mirrored into each
 * node's system.db, where keys are checked on every request as in the embedded mode. Writes
 * (register, create, revoke) go to PostgreSQL first, then into this node's mirror before the
 * answer; other nodes catch up on the `vectra_accounts` notification and at every poll.
 */
import { randomUUID } from 'node:crypto';
import { VectraError } from '../errors.js';
import { prepareKey, SCOPES, toInfo, type Accounts, type KeyRow, type Scope, type Tenant } from '../services/accounts.js';
import type { TenantSpaces } from '../services/tenant-spaces.js';
import type { AccountWrites } from '../services/writes.js';
import { CoalescedRun } from './coalesce.js';
import { inTransaction, type Pool, type PoolClient } from './pg.js';
import type { ReplicaState } from './replica.js';

export const ACCOUNTS_CHANNEL = 'vectra_accounts';
/** Advisory lock id serializing accounts writes ("acct"). */
const ACCOUNTS_LOCK = 0x61636374;

export interface AccountsMirrorOptions {
  pool: Pool;
  state: ReplicaState;
  accounts: Accounts;
  spaces: TenantSpaces;
  log: { warn(obj: object, msg: string): void };
  stopped: () => boolean;
}

export class AccountsMirror {
  private readonly runs: CoalescedRun;
  private readonly pool: Pool;

  constructor(private readonly o: AccountsMirrorOptions) {
    this.pool = o.pool;
    this.runs = new CoalescedRun(() => this.syncOnce(), o.stopped);
  }

  /** Tenants and keys changed since the last version applied here, into the local mirror. */
  sync(): Promise<void> {
    return this.runs.run();
  }

  settled(): Promise<void> {
    return this.runs.settled();
  }

  /**
   * Rows whose version is above the last applied. Versions are drawn inside the writing
   * transaction after it takes ACCOUNTS_LOCK (accountsTx), so they commit in their order: a row
   * with a smaller version can never appear after a larger one was read.
   */
  private async syncOnce(): Promise<void> {
    const since = this.o.state.meta('accounts');
    // Both read in one snapshot: a key is never seen without its tenant.
    const { tenants, keys } = await inTransaction(this.pool, async (c) => {
      await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const t = await c.query<{ id: string; name: string; created_at: string; version: string }>('SELECT id, name, created_at, version FROM tenants WHERE version > $1 ORDER BY version', [since]);
      const k = await c.query<Omit<KeyRow, 'created_at' | 'expires_at' | 'revoked_at' | 'last_used_at'> & { created_at: string; expires_at: string | null; revoked_at: string | null; version: string }>(
        'SELECT id, tenant_id, name, prefix, hash, scopes, created_at, expires_at, revoked_at, version FROM api_keys WHERE version > $1 ORDER BY version',
        [since],
      );
      return { tenants: t.rows, keys: k.rows };
    });
    let top = since;
    for (const t of tenants) {
      this.o.accounts.applyTenant({ id: t.id, name: t.name, created_at: Number(t.created_at) });
      this.o.spaces.of(t.id);
      top = Math.max(top, Number(t.version));
    }
    for (const k of keys) {
      this.o.accounts.applyKey({ ...k, created_at: Number(k.created_at), expires_at: k.expires_at === null ? null : Number(k.expires_at), revoked_at: k.revoked_at === null ? null : Number(k.revoked_at) });
      top = Math.max(top, Number(k.version));
    }
    if (top > since) this.o.state.setMeta('accounts', top);
  }

  /** An accounts write: serialized cluster-wide by a transaction-scoped advisory lock, so versions commit in order. */
  private async accountsTx<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [ACCOUNTS_LOCK]);
        return work(c);
      });
    } catch (e) {
      // PostgreSQL refuses NUL and unpaired surrogates in text: a 400, not a 500.
      const code = (e as { code?: string }).code;
      if (code === '22021' || code === '22P05') throw new VectraError('INVALID_ARGUMENT', 'names cannot hold the NUL character (\\u0000) or an unpaired surrogate in the scale-out mode: remove it');
      throw e;
    }
  }

  readonly writes: AccountWrites = {
    register: async (name) => {
      const tenant: Tenant = { id: randomUUID(), name, createdAt: new Date().toISOString() };
      const { apiKey, row } = prepareKey(tenant.id, 'default', [...SCOPES], null);
      await this.accountsTx(async (c) => {
        await c.query('INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)', [tenant.id, name, Date.parse(tenant.createdAt)]);
        await insertKey(c, row);
        await c.query('SELECT pg_notify($1, $2)', [ACCOUNTS_CHANNEL, tenant.id]);
      });
      await this.afterAccountsCommit();
      return { tenant, apiKey, key: toInfo(row) };
    },
    createKey: async (tenantId, name, scopes: Scope[], expiresAt) => {
      const { apiKey, row } = prepareKey(tenantId, name, scopes, expiresAt);
      await this.accountsTx(async (c) => {
        if ((await c.query('SELECT 1 FROM tenants WHERE id = $1', [tenantId])).rows.length === 0) throw new VectraError('INVALID_ARGUMENT', `tenant ${tenantId} does not exist`);
        await insertKey(c, row);
        await c.query('SELECT pg_notify($1, $2)', [ACCOUNTS_CHANNEL, tenantId]);
      });
      await this.afterAccountsCommit();
      return { apiKey, key: toInfo(row) };
    },
    revokeKey: async (tenantId, keyId) => {
      await this.accountsTx(async (c) => {
        const done = await c.query(
          `UPDATE api_keys SET revoked_at = $1, version = nextval('account_versions') WHERE id = $2 AND revoked_at IS NULL ${tenantId === null ? '' : 'AND tenant_id = $3'}`,
          tenantId === null ? [Date.now(), keyId] : [Date.now(), keyId, tenantId],
        );
        if (done.rowCount === 0) {
          const found = await c.query<{ tenant_id: string }>('SELECT tenant_id FROM api_keys WHERE id = $1', [keyId]);
          if (found.rows.length === 0 || (tenantId !== null && found.rows[0].tenant_id !== tenantId)) throw new VectraError('KEY_NOT_FOUND', `API key ${keyId} does not exist`);
        }
        await c.query('SELECT pg_notify($1, $2)', [ACCOUNTS_CHANNEL, keyId]);
      });
      await this.afterAccountsCommit();
    },
  };

  /** Committed: bring this node's mirror up to it; a failure here is the poll's to repair, not the caller's (the write stands). */
  private async afterAccountsCommit(): Promise<void> {
    await this.sync().catch((e) => this.o.log.warn({ err: (e as Error).message }, 'accounts mirror behind after a committed write; the poll catches up'));
  }
}

async function insertKey(c: PoolClient, row: KeyRow): Promise<void> {
  await c.query('INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
    row.id,
    row.tenant_id,
    row.name,
    row.prefix,
    row.hash,
    row.scopes,
    row.created_at,
    row.expires_at,
  ]);
}
