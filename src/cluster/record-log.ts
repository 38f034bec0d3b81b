/**
 * Records and their change feed in PostgreSQL (the scale-out mode's system of record).
 *
 * A write is one transaction: the collection's row is locked (`FOR UPDATE`), so the writes of
 * one collection are serialized and their seqs gap-free; each distinct upserted id, then each
 * deleted id, takes the next seq and a row in `changes`; the collection's seq moves to the last;
 * `pg_notify` tells the nodes (delivered at commit). The answer is sent only after COMMIT.
 */
import type { Metadata, PreparedRecord } from '../engine/index.js';
import { VectraError } from '../errors.js';
import { inTransaction, query, type Pool, type PoolClient } from './pg.js';

export const CHANGES_CHANNEL = 'vectra_changes';

export interface WriteOptions {
  /** The collection's instance the write was validated against: another one (dropped and created again) is refused. */
  instance?: string;
  /**
   * Delete only records not changed after this seq: ids selected by a filter on a replica at
   * that seq, so that a record rewritten since (which may no longer match) is kept.
   */
  removeUpTo?: number;
}

export interface LogWrite {
  seq: number;
  inserted: number;
  updated: number;
  /** Ids actually deleted (they existed), in the order asked. */
  deleted: string[];
}

/** A change with the record as it is now (null: deleted since, or never there). */
export interface LoggedChange {
  seq: number;
  tx: number;
  op: 'upsert' | 'delete';
  id: string;
  at: number;
  record: { id: string; vector: Float32Array; text: string | null; metadata: Metadata; seq: number } | null;
}

export interface CollectionHead {
  tenant: string;
  name: string;
  instance: string;
  seq: number;
}

function vectorBytes(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function vectorOf(b: Buffer): Float32Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

/** PostgreSQL refuses NUL in text and jsonb: a 400 naming it, not a 500. */
function refusedCharacters(e: unknown): VectraError | null {
  const code = (e as { code?: string }).code;
  if (code === '22P05' || code === '22021' || code === '22P02') {
    return new VectraError('INVALID_RECORD', 'text and metadata strings cannot hold the NUL character (\\u0000) or an unpaired surrogate (\\ud800–\\udfff alone) in the scale-out mode (PostgreSQL stores them): remove it');
  }
  return null;
}

export class RecordLog {
  constructor(private readonly pool: Pool) {}

  /**
   * Upsert `upserts` (already validated; an id twice counts once, at its last occurrence) and
   * delete `removes` (ids; those among the upserts are kept), in one transaction.
   */
  async write(tenant: string, collection: string, upserts: PreparedRecord[], removes: string[], opts: WriteOptions = {}): Promise<LogWrite> {
    const now = Date.now();
    const last = new Map<string, PreparedRecord>();
    for (const r of upserts) {
      last.delete(r.id);
      last.set(r.id, r);
    }
    const ups = [...last.values()];
    const kept = new Set(last.keys());
    const rm = [...new Set(removes)].filter((id) => !kept.has(id));
    try {
      return await inTransaction(this.pool, async (c) => {
        const base = await lockSeq(c, tenant, collection, opts.instance);
        if (ups.length === 0 && rm.length === 0) return { seq: base, inserted: 0, updated: 0, deleted: [] };
        let seq = base;
        let inserted = 0;
        if (ups.length > 0) {
          const seqs = ups.map(() => ++seq);
          const res = await c.query<{ inserted: boolean }>(
            `INSERT INTO records (tenant_id, collection, id, vector, text, metadata, seq, updated_at)
             SELECT $1, $2, u.id, u.vector, u.text, u.metadata::jsonb, u.seq, $8
               FROM unnest($3::text[], $4::bytea[], $5::text[], $6::text[], $7::bigint[]) AS u(id, vector, text, metadata, seq)
             ON CONFLICT (tenant_id, collection, id) DO UPDATE SET vector = excluded.vector, text = excluded.text, metadata = excluded.metadata, seq = excluded.seq, updated_at = excluded.updated_at
             RETURNING (xmax = 0) AS inserted`,
            [tenant, collection, ups.map((r) => r.id), ups.map((r) => vectorBytes(r.vector)), ups.map((r) => r.text), ups.map((r) => JSON.stringify(r.metadata)), seqs, now],
          );
          inserted = res.rows.filter((r) => r.inserted).length;
          await insertChanges(c, tenant, collection, base + 1, 'upsert', ups.map((r) => r.id), seqs, now);
        }
        let deleted: string[] = [];
        if (rm.length > 0) {
          const gone = new Set(
            (
              await c.query<{ id: string }>(
                `DELETE FROM records WHERE tenant_id = $1 AND collection = $2 AND id = ANY($3::text[]) ${opts.removeUpTo === undefined ? '' : 'AND seq <= $4'} RETURNING id`,
                opts.removeUpTo === undefined ? [tenant, collection, rm] : [tenant, collection, rm, opts.removeUpTo],
              )
            ).rows.map((r) => r.id),
          );
          deleted = rm.filter((id) => gone.has(id));
          if (deleted.length > 0) {
            const seqs = deleted.map(() => ++seq);
            await insertChanges(c, tenant, collection, base + 1, 'delete', deleted, seqs, now);
          }
        }
        if (seq === base) return { seq, inserted: 0, updated: 0, deleted };
        await c.query('UPDATE collections SET seq = $3 WHERE tenant_id = $1 AND name = $2', [tenant, collection, seq]);
        await c.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, JSON.stringify([tenant, collection, seq])]);
        return { seq, inserted, updated: ups.length - inserted, deleted };
      });
    } catch (e) {
      throw refusedCharacters(e) ?? e;
    }
  }

  /** Changes after `since` (at most `limit`), each with its record as it is now. */
  async changesSince(tenant: string, collection: string, since: number, limit: number): Promise<LoggedChange[]> {
    const rows = await query<{ seq: string; tx: string; op: 'upsert' | 'delete'; id: string; at: string; vector: Buffer | null; text: string | null; metadata: string | null; rseq: string | null }>(
      this.pool,
      `SELECT c.seq, c.tx, c.op, c.id, c.at, r.vector, r.text, r.metadata::text AS metadata, r.seq AS rseq
         FROM changes c LEFT JOIN records r ON r.tenant_id = c.tenant_id AND r.collection = c.collection AND r.id = c.id
        WHERE c.tenant_id = $1 AND c.collection = $2 AND c.seq > $3 ORDER BY c.seq LIMIT $4`,
      [tenant, collection, since, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      tx: Number(r.tx),
      op: r.op,
      id: r.id,
      at: Number(r.at),
      record: r.vector === null ? null : { id: r.id, vector: vectorOf(r.vector), text: r.text, metadata: JSON.parse(r.metadata!) as Metadata, seq: Number(r.rseq) },
    }));
  }

  /**
   * Changes after `since` (as changesSince) and the collection's retention floor, read after
   * them: every change after the floor is kept, so `since` below it means some were let go
   * (retention.ts) — read after the page, the floor cannot miss a prune that cut the page.
   * Floor null: the collection is gone.
   */
  async changesAfter(tenant: string, collection: string, since: number, limit: number): Promise<{ changes: LoggedChange[]; floor: number | null }> {
    const changes = await this.changesSince(tenant, collection, since, limit);
    const rows = await query<{ changes_floor: string }>(this.pool, 'SELECT changes_floor FROM collections WHERE tenant_id = $1 AND name = $2', [tenant, collection]);
    return { changes, floor: rows.length ? Number(rows[0].changes_floor) : null };
  }

  /** A page of the collection's records by id (keyset), for a replica's full load. */
  async recordsAfter(tenant: string, collection: string, afterId: string | null, limit: number): Promise<{ id: string; vector: Float32Array; text: string | null; metadata: Metadata }[]> {
    const rows = await query<{ id: string; vector: Buffer; text: string | null; metadata: string }>(
      this.pool,
      `SELECT id, vector, text, metadata::text AS metadata FROM records WHERE tenant_id = $1 AND collection = $2 AND ($3::text IS NULL OR id > $3) ORDER BY id LIMIT $4`,
      [tenant, collection, afterId, limit],
    );
    return rows.map((r) => ({ id: r.id, vector: vectorOf(r.vector), text: r.text, metadata: JSON.parse(r.metadata) as Metadata }));
  }

  /** Every collection's committed seq. */
  async heads(): Promise<CollectionHead[]> {
    const rows = await query<{ tenant_id: string; name: string; instance: string; seq: string }>(this.pool, 'SELECT tenant_id, name, instance, seq FROM collections');
    return rows.map((r) => ({ tenant: r.tenant_id, name: r.name, instance: r.instance, seq: Number(r.seq) }));
  }

  /** One collection's committed seq, or null when it does not exist. */
  async head(tenant: string, collection: string): Promise<number | null> {
    return (await this.headOf(tenant, collection))?.seq ?? null;
  }

  /** One collection's committed seq and instance (which creation of the name), or null when it does not exist. */
  async headOf(tenant: string, collection: string): Promise<{ seq: number; instance: string } | null> {
    const rows = await query<{ seq: string; instance: string }>(this.pool, 'SELECT seq, instance FROM collections WHERE tenant_id = $1 AND name = $2', [tenant, collection]);
    return rows.length ? { seq: Number(rows[0].seq), instance: rows[0].instance } : null;
  }
}

async function lockSeq(c: PoolClient, tenant: string, collection: string, instance: string | undefined): Promise<number> {
  const r = await c.query<{ seq: string; instance: string }>('SELECT seq, instance FROM collections WHERE tenant_id = $1 AND name = $2 FOR UPDATE', [tenant, collection]);
  if (r.rows.length === 0) throw new VectraError('COLLECTION_NOT_FOUND', `collection "${collection}" does not exist`);
  if (instance !== undefined && r.rows[0].instance !== instance) {
    throw new VectraError('COLLECTION_LOADING', `collection "${collection}" was dropped and created again meanwhile; this node is still loading the new one: retry shortly`);
  }
  return Number(r.rows[0].seq);
}

async function insertChanges(c: PoolClient, tenant: string, collection: string, tx: number, op: 'upsert' | 'delete', ids: string[], seqs: number[], at: number): Promise<void> {
  await c.query(
    `INSERT INTO changes (tenant_id, collection, seq, tx, op, id, at) SELECT $1, $2, u.seq, $3, $4, u.id, $5 FROM unnest($6::bigint[], $7::text[]) AS u(seq, id)`,
    [tenant, collection, tx, op, at, seqs, ids],
  );
}
