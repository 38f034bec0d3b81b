/**
 * Where writes go. Embedded (the default): straight into the local engine. Scale-out
 * (src/cluster/): into PostgreSQL, the system of record, then applied to this node's replica
 * before the answer. Services write through this seam only, so both modes share every
 * validation, embedding and answer shape above it.
 */
import type { ChangePage, Collection, CollectionConfigInput, RecordInput } from '../engine/index.js';
import type { FollowSource } from '../realtime/follow.js';
import type { Accounts, ApiKeyInfo, Scope, Tenant } from './accounts.js';

export type RemoveTarget = { filter: Record<string, unknown> } | { ids: string[] };

export interface RecordWrites {
  upsert(tenantId: string, name: string, c: Collection, records: RecordInput[]): Promise<{ ids: string[]; inserted: number; updated: number; seq: number }>;
  /** Each record validated on its own (`where(i)` names it in its error); the valid ones stored together. */
  upsertEach(tenantId: string, name: string, c: Collection, records: RecordInput[], where: (i: number) => string): Promise<({ id: string } | { error: Error })[]>;
  delete(tenantId: string, name: string, c: Collection, ids: string[]): Promise<{ deleted: number; seq: number }>;
  deleteWhere(tenantId: string, name: string, c: Collection, filter: Record<string, unknown>): Promise<{ deleted: number; seq: number }>;
  /** Upsert `records` and delete what `remove` selects that is not among them, atomically. */
  replace(tenantId: string, name: string, c: Collection, records: RecordInput[], remove: RemoveTarget): Promise<{ ids: string[]; inserted: number; updated: number; deleted: number; seq: number }>;
}

/** Where GET …/changes reads the feed: the local collection's, or (scale-out) PostgreSQL's. */
export interface FeedSource {
  changes(tenantId: string, name: string, c: Collection, since: number, limit: number | undefined, includeRecord: boolean): Promise<ChangePage>;
  /** What the streams (SSE, WebSocket subscribe) read and are woken by; absent: the local collection and the event bus. */
  follow?(tenantId: string, name: string, c: Collection): FollowSource;
}

export const localFeed: FeedSource = {
  async changes(_t, _n, c, since, limit, includeRecord) {
    return c.changes(since, limit, { includeRecord });
  },
};

export interface CatalogWrites {
  create(tenantId: string, name: string, config: CollectionConfigInput): Promise<Collection>;
  drop(tenantId: string, name: string): Promise<void>;
}

/** Scale-out placement (VECTRA_REPLICAS): not every node holds every collection. */
export interface PlacementView {
  /** Every lookup of a local collection (`found`: whether this node has it); throws COLLECTION_LOADING while it is loaded here. */
  gate(tenantId: string, name: string, found: boolean): void;
  /** The tenant's collections in the system of record, with a holder's counts for those not held here. */
  catalogOf(tenantId: string): { name: string; config: CollectionConfigInput; stats: { count: number; diskBytes: number; unindexed: number } | null }[];
}

export interface AccountWrites {
  register(name: string): Promise<{ tenant: Tenant; apiKey: string; key: ApiKeyInfo }>;
  createKey(tenantId: string, name: string, scopes: Scope[], expiresAt: string | null): Promise<{ apiKey: string; key: ApiKeyInfo }>;
  revokeKey(tenantId: string | null, keyId: string): Promise<void>;
}

/** The embedded mode: the local engine is the system of record. */
export const localWrites: RecordWrites = {
  async upsert(_t, _n, c, records) {
    return c.upsert(records);
  },
  async upsertEach(_t, _n, c, records, where) {
    return c.upsertEach(records, where);
  },
  async delete(_t, _n, c, ids) {
    const deleted = c.delete(ids);
    return { deleted, seq: c.seq };
  },
  async deleteWhere(_t, _n, c, filter) {
    const deleted = c.deleteWhere(filter);
    return { deleted, seq: c.seq };
  },
  async replace(_t, _n, c, records, remove) {
    return c.replace(records, remove);
  },
};

/** The embedded mode's accounts: system.db is the system of record. */
export function localAccountWrites(accounts: Accounts): AccountWrites {
  return {
    register: async (name) => accounts.register(name),
    createKey: async (tenantId, name, scopes, expiresAt) => accounts.createKey(tenantId, name, scopes, expiresAt),
    revokeKey: async (tenantId, keyId) => accounts.revokeKey(tenantId, keyId),
  };
}
