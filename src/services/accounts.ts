/**
 * Tenants and API keys, in DATA_DIR/system.db (SQLite, WAL).
 *
 * A key is `vk_` + 43 base62 characters (256 random bits). Only its SHA-256 is stored,
 * with the first 12 characters as a visible prefix to find it by. Verification looks the
 * prefix up and compares hashes with timingSafeEqual, so the time taken does not depend on
 * how many characters of a guess are right. (A fast hash suffices: the key has 256 bits of
 * entropy, nothing to brute-force.) Every request reads the key row, so a revocation, even
 * one made with the CLI while the server runs, takes effect at once.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { storageError } from '../engine/disk.js';
import { VectraError } from '../errors.js';

export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: Set<Scope>;
}

export interface KeyRow {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  hash: Buffer;
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = /^vk_[0-9A-Za-z]{43}$/;
const PREFIX_LENGTH = 12;
const LAST_USED_EVERY_MS = 60_000;
/** Most keys remembered by authenticate's cache (it starts over when full). */
const KEY_CACHE_MAX = 10_000;

/** A valid key as authenticate remembers it (by the SHA-256 of the key). */
interface CachedKey {
  row: KeyRow;
  scopes: Set<Scope>;
}

function base62(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(43, '0');
}

/** A new key (shown once) and its row: validated, not stored. */
export function prepareKey(tenantId: string, name: string, scopes: Scope[], expiresAt: string | null): { apiKey: string; row: KeyRow } {
  const uniq = [...new Set(scopes)];
  if (uniq.length === 0 || uniq.some((s) => !SCOPES.includes(s))) throw new VectraError('INVALID_ARGUMENT', 'scopes must be a non-empty list of "read", "write", "admin"');
  let expires: number | null = null;
  if (expiresAt !== null) {
    expires = Date.parse(expiresAt);
    if (Number.isNaN(expires)) throw new VectraError('INVALID_ARGUMENT', `expiresAt "${expiresAt}" is not an ISO 8601 date-time`);
    if (expires <= Date.now()) throw new VectraError('INVALID_ARGUMENT', 'expiresAt must be in the future');
  }
  const apiKey = newApiKey();
  return {
    apiKey,
    row: {
      id: randomUUID(),
      tenant_id: tenantId,
      name,
      prefix: apiKey.slice(0, PREFIX_LENGTH),
      hash: sha256(apiKey),
      scopes: JSON.stringify(uniq),
      created_at: Date.now(),
      last_used_at: null,
      expires_at: expires,
      revoked_at: null,
    },
  };
}

export function newApiKey(): string {
  return `vk_${base62(randomBytes(32))}`;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toInfo(r: KeyRow): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: JSON.parse(r.scopes) as Scope[],
    createdAt: iso(r.created_at)!,
    lastUsedAt: iso(r.last_used_at),
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
  };
}

export class Accounts {
  private readonly db: Database.Database;
  private readonly lastUsedWritten = new Map<string, number>();
  private readonly dummyHash = sha256('vk_dummy');
  private readonly byPrefix: Database.Statement;
  private readonly touch: Database.Statement;
  private readonly dataVersion: Database.Statement;
  /**
   * Keys found valid, by their hash, as of `cachedAt` (SQLite's data_version). Any commit to
   * system.db by another connection — `vectra keys revoke` from the CLI, another server
   * process — changes data_version and empties the cache before the next lookup, and this
   * process's own revocations empty it at once: a revoked key is refused by the very next
   * request either way (tested).
   */
  private readonly cache = new Map<string, CachedKey>();
  private cachedAt = -1;

  constructor(private readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'system.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
        prefix TEXT NOT NULL, hash BLOB NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL,
        last_used_at INTEGER, expires_at INTEGER, revoked_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS api_keys_prefix ON api_keys(prefix);
      CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys(tenant_id);
    `);
    // Prepared once: they run on every authenticated request.
    this.byPrefix = this.db.prepare('SELECT * FROM api_keys WHERE prefix = ?');
    this.touch = this.db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
    this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Create a tenant and its first key (all scopes). The key is returned only here. */
  register(name: string): { tenant: Tenant; apiKey: string; key: ApiKeyInfo } {
    const tenant: Tenant = { id: randomUUID(), name, createdAt: new Date().toISOString() };
    return this.db.transaction(() => {
      this.db.prepare('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)').run(tenant.id, name, Date.parse(tenant.createdAt));
      const { apiKey, key } = this.createKey(tenant.id, 'default', [...SCOPES], null);
      return { tenant, apiKey, key };
    })();
  }

  tenants(): Tenant[] {
    return (this.db.prepare('SELECT id, name, created_at FROM tenants ORDER BY created_at').all() as { id: string; name: string; created_at: number }[]).map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: iso(r.created_at)!,
    }));
  }

  tenant(id: string): Tenant | null {
    return this.tenants().find((t) => t.id === id) ?? null;
  }

  createKey(tenantId: string, name: string, scopes: Scope[], expiresAt: string | null): { apiKey: string; key: ApiKeyInfo } {
    if (!this.db.prepare('SELECT 1 FROM tenants WHERE id = ?').get(tenantId)) throw new VectraError('INVALID_ARGUMENT', `tenant ${tenantId} does not exist`);
    const { apiKey, row } = prepareKey(tenantId, name, scopes, expiresAt);
    this.db
      .prepare('INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.tenant_id, row.name, row.prefix, row.hash, row.scopes, row.created_at, row.expires_at);
    return { apiKey, key: toInfo(row) };
  }

  /** Scale-out: store a tenant as the system of record holds it (the local mirror). */
  applyTenant(t: { id: string; name: string; created_at: number }): void {
    this.db.prepare('INSERT OR REPLACE INTO tenants (id, name, created_at) VALUES (?, ?, ?)').run(t.id, t.name, t.created_at);
  }

  /** Scale-out: store a key as the system of record holds it; a revocation takes effect at the next request. */
  applyKey(r: Omit<KeyRow, 'last_used_at'>): void {
    this.db
      .prepare(
        `INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, scopes = excluded.scopes, expires_at = excluded.expires_at, revoked_at = excluded.revoked_at`,
      )
      .run(r.id, r.tenant_id, r.name, r.prefix, r.hash, r.scopes, r.created_at, r.expires_at, r.revoked_at);
    this.cache.clear();
  }

  listKeys(tenantId: string): ApiKeyInfo[] {
    return (this.db.prepare('SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at').all(tenantId) as KeyRow[]).map(toInfo);
  }

  /** Revoke a key of this tenant; another tenant's key id is "not found". */
  revokeKey(tenantId: string | null, keyId: string): void {
    const sql = tenantId === null ? 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL' : 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL';
    const args = tenantId === null ? [Date.now(), keyId] : [Date.now(), keyId, tenantId];
    this.cache.clear();
    if (this.db.prepare(sql).run(...args).changes === 0) {
      const exists = this.db.prepare('SELECT tenant_id FROM api_keys WHERE id = ?').get(keyId) as { tenant_id: string } | undefined;
      if (!exists || (tenantId !== null && exists.tenant_id !== tenantId)) throw new VectraError('KEY_NOT_FOUND', `API key ${keyId} does not exist`);
      // Already revoked: revoking again is a no-op.
    }
  }

  /** The principal for a presented key, or a 401 saying why not. */
  authenticate(presented: string): Principal {
    if (!KEY_PATTERN.test(presented)) {
      throw new VectraError('INVALID_API_KEY', 'API key is malformed: expected "vk_" followed by 43 letters and digits');
    }
    const hash = sha256(presented);
    const version = this.dataVersion.get() as number;
    if (version !== this.cachedAt) {
      this.cache.clear();
      this.cachedAt = version;
    }
    // The cache is keyed by the key's hash, which says nothing about the key to a timer.
    const cacheKey = hash.toString('base64');
    let known = this.cache.get(cacheKey);
    if (!known) {
      const found = this.lookup(presented, hash);
      known = { row: found, scopes: new Set(JSON.parse(found.scopes) as Scope[]) };
      if (this.cache.size >= KEY_CACHE_MAX) this.cache.clear();
      this.cache.set(cacheKey, known);
    }
    const found = known.row;
    const now = Date.now();
    if (found.expires_at !== null && found.expires_at <= now) throw new VectraError('API_KEY_EXPIRED', 'API key has expired; create a new one');
    if (now - (this.lastUsedWritten.get(found.id) ?? 0) >= LAST_USED_EVERY_MS) {
      this.lastUsedWritten.set(found.id, now);
      try {
        this.touch.run(now, found.id);
      } catch (e) {
        // Bookkeeping only: a full or read-only disk must not turn reads away.
        if (!storageError(e, this.dataDir)) throw e;
      }
    }
    return { tenantId: found.tenant_id, keyId: found.id, scopes: known.scopes };
  }

  /** The stored row of a presented key that is not revoked, compared in constant time; or a 401 saying why not. */
  private lookup(presented: string, hash: Buffer): KeyRow {
    const rows = this.byPrefix.all(presented.slice(0, PREFIX_LENGTH)) as KeyRow[];
    let found: KeyRow | null = null;
    for (const r of rows) if (timingSafeEqual(r.hash, hash)) found = r;
    // Same work when nothing shares the prefix, so a miss takes as long as a mismatch.
    if (rows.length === 0) timingSafeEqual(this.dummyHash, hash);
    if (!found) throw new VectraError('INVALID_API_KEY', 'API key is not valid');
    if (found.revoked_at !== null) throw new VectraError('API_KEY_REVOKED', 'API key has been revoked; create a new one');
    return found;
  }
}
