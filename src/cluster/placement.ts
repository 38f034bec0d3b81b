/**
 * Placement (`VECTRA_REPLICAS=R`, docs/scale-out.md): which nodes serve which collection.
 *
 * - Live nodes: the `nodes` table, each node's heartbeat every second; a node silent for
 *   NODE_TIMEOUT_MS is gone (its collections move to others).
 * - Owners of a collection: the R live nodes with the highest rendezvous score
 *   hash(node, tenant, collection) — every node computes the same owners from the same live set,
 *   and a node joining or leaving moves only the collections it wins or held (≈ 1/N of them).
 * - Holders: the `placements` table, each node's replicas (instance, loaded, counts), published
 *   every second. Requests are forwarded to a live holder whose replica is loaded, so a
 *   collection moving to a new owner stays served by its old one until the new one has it.
 *
 * Everything here is read from PostgreSQL once a second (refresh) and answered from memory.
 */
import { createHash } from 'node:crypto';
import { DB_NOW_MS, inTransaction, query, type Pool } from './pg.js';

/** A node whose heartbeat is older than this is taken for dead. */
export const NODE_TIMEOUT_MS = 5000;

export interface NodeAddress {
  id: string;
  url: string;
}

/** What a node publishes of each replica it holds. */
export interface Held {
  tenant: string;
  name: string;
  instance: string;
  loaded: boolean;
  applied: number;
  stats: { count: number; diskBytes: number; unindexed: number } | null;
}

interface HolderRow {
  node_id: string;
  tenant_id: string;
  collection: string;
  instance: string;
  loaded: boolean;
  stats: Held['stats'];
}

export class Placement {
  private live: NodeAddress[] = [];
  private holders = new Map<string, HolderRow[]>();
  /** Nodes this one failed to connect to → when (PostgreSQL's clock, as of the last refresh). */
  private readonly suspects = new Map<string, number>();
  private dbNow = 0;

  constructor(
    private readonly pool: Pool,
    /** This node (its url is set once it listens, unless configured). */
    readonly self: NodeAddress,
    /** Nodes serving each collection. */
    readonly replicas: number,
  ) {}

  private key(tenant: string, name: string): string {
    return `${tenant}\u0000${name}`;
  }

  /** Live nodes and who holds what, from PostgreSQL (its clock: the heartbeats are by it too). */
  async refresh(): Promise<void> {
    const [{ now: dbNow }] = await query<{ now: string }>(this.pool, `SELECT ${DB_NOW_MS} AS now`);
    const now = Number(dbNow);
    this.dbNow = now;
    const since = now - NODE_TIMEOUT_MS;
    const nodes = await query<{ id: string; url: string | null; heartbeat_at: string }>(this.pool, 'SELECT id, url, heartbeat_at FROM nodes WHERE heartbeat_at > $1 ORDER BY id', [since]);
    // A node this one could not connect to is left out until it beats again after that.
    for (const n of nodes) if ((this.suspects.get(n.id) ?? Infinity) < Number(n.heartbeat_at)) this.suspects.delete(n.id);
    const live = nodes.filter((n) => n.url !== null && n.id !== this.self.id && !this.suspects.has(n.id)).map((n) => ({ id: n.id, url: n.url! }));
    live.push(this.self);
    const rows = await query<HolderRow>(
      this.pool,
      `SELECT p.node_id, p.tenant_id, p.collection, p.instance, p.loaded, p.stats FROM placements p JOIN nodes n ON n.id = p.node_id WHERE n.heartbeat_at > $1`,
      [since],
    );
    const holders = new Map<string, HolderRow[]>();
    for (const r of rows) {
      const k = this.key(r.tenant_id, r.collection);
      holders.set(k, [...(holders.get(k) ?? []), r]);
    }
    this.live = live;
    this.holders = holders;
    // What nodes gone for a minute had published is of no use to anyone.
    await query(this.pool, 'DELETE FROM placements WHERE node_id IN (SELECT id FROM nodes WHERE heartbeat_at < $1)', [now - 60_000]);
  }

  /**
   * A connection to this node was refused or timed out: take it for gone at once (its collections
   * go to their next owners) rather than at its heartbeat's timeout, until it beats again.
   */
  suspect(id: string): void {
    if (id === this.self.id) return;
    this.suspects.set(id, this.dbNow);
    this.live = this.live.filter((n) => n.id !== id);
  }

  /** The live nodes (this one included), by id. */
  nodes(): NodeAddress[] {
    return [...this.live].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The nodes that should serve this collection: the R live nodes of highest rendezvous score. */
  owners(tenant: string, name: string): NodeAddress[] {
    const scored = this.live.map((n) => ({ n, score: score(n.id, tenant, name) }));
    scored.sort((a, b) => (a.score < b.score ? 1 : a.score > b.score ? -1 : a.n.id.localeCompare(b.n.id)));
    return scored.slice(0, this.replicas).map((s) => s.n);
  }

  owns(tenant: string, name: string): boolean {
    return this.owners(tenant, name).some((n) => n.id === this.self.id);
  }

  /** Live nodes other than this one holding a loaded replica of this instance of the collection. */
  loadedElsewhere(tenant: string, name: string, instance?: string): NodeAddress[] {
    const rows = this.holders.get(this.key(tenant, name)) ?? [];
    const urls = new Map(this.live.map((n) => [n.id, n.url]));
    return rows
      .filter((r) => r.loaded && r.node_id !== this.self.id && (instance === undefined || r.instance === instance) && urls.has(r.node_id))
      .map((r) => ({ id: r.node_id, url: urls.get(r.node_id)! }));
  }

  /** Whether every other owner holds a loaded replica of this instance: this node may let its copy go. */
  handedOff(tenant: string, name: string, instance: string): boolean {
    const loaded = new Set(this.loadedElsewhere(tenant, name, instance).map((n) => n.id));
    return this.owners(tenant, name).every((o) => o.id === this.self.id || loaded.has(o.id));
  }

  /** A holder's published counts for a collection this node does not hold (null if none is loaded). */
  statsOf(tenant: string, name: string, instance: string): Held['stats'] {
    const rows = this.holders.get(this.key(tenant, name)) ?? [];
    return rows.find((r) => r.loaded && r.instance === instance && r.stats)?.stats ?? null;
  }

  /**
   * Where a request about this collection goes when this node has no loaded replica of it: a
   * loaded holder (an owner first), else the first owner that is not this node (it is loading
   * it, or it answers 404 for a collection that does not exist); null: nowhere but here.
   */
  elsewhere(tenant: string, name: string): NodeAddress | null {
    // Always the same node while nothing changes (the first loaded owner by rendezvous order,
    // else the first loaded holder): a client's write and its next read land on one replica.
    const loaded = new Map(this.loadedElsewhere(tenant, name).map((n) => [n.id, n]));
    const owners = this.owners(tenant, name);
    const owner = owners.find((o) => loaded.has(o.id));
    if (owner) return loaded.get(owner.id)!;
    if (loaded.size > 0) return [...loaded.values()].sort((a, b) => a.id.localeCompare(b.id))[0];
    return owners.find((o) => o.id !== this.self.id) ?? null;
  }

  /** A live node holding loaded replicas of all these collections (chat over several), or null. */
  holdingAll(tenant: string, names: string[]): NodeAddress | null {
    let found: NodeAddress[] | null = null;
    for (const name of names) {
      const here = new Set(this.loadedElsewhere(tenant, name).map((n) => n.id));
      found = (found ?? this.live).filter((n) => here.has(n.id));
    }
    found ??= [];
    return found.length > 0 ? found[Math.floor(Math.random() * found.length)] : null;
  }

  /** This node's replicas, as the others see them: the rows of what it holds, nothing else. */
  async publish(held: Held[], now = Date.now()): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query('DELETE FROM placements WHERE node_id = $1', [this.self.id]);
      if (held.length === 0) return;
      await c.query(
        `INSERT INTO placements (node_id, tenant_id, collection, instance, loaded, applied, stats, updated_at)
         SELECT $1, t, c, i, l, a, s, $2 FROM unnest($3::text[], $4::text[], $5::text[], $6::boolean[], $7::bigint[], $8::jsonb[]) AS u(t, c, i, l, a, s)`,
        [this.self.id, now, held.map((h) => h.tenant), held.map((h) => h.name), held.map((h) => h.instance), held.map((h) => h.loaded), held.map((h) => h.applied), held.map((h) => JSON.stringify(h.stats))],
      );
    });
  }
}

/** Rendezvous (highest random weight) score of a node for a collection: 64 bits of SHA-256. */
function score(node: string, tenant: string, name: string): bigint {
  return createHash('sha256').update(`${node}\u0000${tenant}\u0000${name}`).digest().readBigUInt64BE(0);
}
