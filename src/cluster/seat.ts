/**
 * A node's seat in the placement (VECTRA_REPLICAS; docs/scale-out.md): which collections it
 * holds — those it owns, those adopted on demand (chat, WebSocket actions) while they are used,
 * those it is creating — what it tells the others (the placements table, where to forward a
 * request), and when a replica owned elsewhere can go. The node (node.ts) keeps the replicas
 * and PostgreSQL's catalog; its catalog sync asks the seat whether to serve each collection.
 */
import type { CollectionConfigInput } from '../engine/index.js';
import { VectraError } from '../errors.js';
import type { TenantSpaces } from '../services/tenant-spaces.js';
import { inTransaction, type Pool } from './pg.js';
import type { Placement, Held, NodeAddress } from './placement.js';
import type { Replica } from './replica.js';
import type { ClusterLog } from './node.js';

/** Placement: a replica this node no longer owns is dropped once its owners have held it loaded this long. */
const HANDOFF_GRACE_MS = 10_000;
/**
 * Placement: a collection loaded here on demand (chat over collections no node holds together,
 * WebSocket actions, a request past the hop limit) is let go, once its owners hold it, after
 * this long unused.
 */
const ADOPT_IDLE_MS = 30_000;

/** A collection as PostgreSQL's catalog lists it. */
export interface CatalogRow {
  tenant_id: string;
  name: string;
  instance: string;
  config: CollectionConfigInput;
  seq: string;
}

/** A collection's key in the node's maps. */
export function collectionKey(tenant: string, name: string): string {
  return `${tenant}\u0000${name}`;
}

/** What the seat reads of its node. */
export interface SeatHost {
  readonly nodeId: string;
  readonly pool: Pool;
  readonly spaces: TenantSpaces;
  readonly log: ClusterLog;
  /** The replica of a collection held here, by collectionKey. */
  readonly replicas: ReadonlyMap<string, Replica>;
  /** PostgreSQL's catalog as of the last sync, by collectionKey. */
  catalog(): ReadonlyMap<string, CatalogRow>;
  /** Caught up with what was committed when the node started. */
  ready(): boolean;
  /** Sync the catalog in the background. */
  resyncCatalog(): void;
  /** Drop the local replica and copy of a collection. */
  dropLocal(tenant: string, name: string): Promise<void>;
}

export class Seat {
  /** Collections held here without being owned (created here, or asked for by chat or a WebSocket) → last use. */
  private readonly adopted = new Map<string, number>();
  /** Collections being created by this node (held here until their owners have them). */
  private readonly creating = new Set<string>();
  /** Replicas not owned here whose owners hold them → since when. */
  private readonly releasable = new Map<string, number>();
  /** Left the tables at a graceful stop (no more heartbeats). */
  withdrawn = false;

  constructor(
    readonly placement: Placement,
    private readonly host: SeatHost,
  ) {}

  /** Whether this node should hold a replica of the collection: owned, or adopted and used lately, or being created. */
  serves(tenant: string, name: string): boolean {
    const k = collectionKey(tenant, name);
    const used = this.adopted.get(k);
    if (used !== undefined && Date.now() - used > ADOPT_IDLE_MS) this.adopted.delete(k);
    if (this.placement.owns(tenant, name) || this.adopted.has(k) || (this.creating.has(k) && !this.host.replicas.has(k))) {
      this.releasable.delete(k);
      return true;
    }
    return false;
  }

  /** A collection this node creates is held here until the creation's catalog sync is over. */
  async creatingHere<T>(tenant: string, name: string, create: () => Promise<T>): Promise<T> {
    const k = collectionKey(tenant, name);
    this.creating.add(k);
    try {
      return await create();
    } finally {
      this.creating.delete(k);
    }
  }

  /** The collection's replica left this node. */
  forget(tenant: string, name: string): void {
    this.adopted.delete(collectionKey(tenant, name));
  }

  /** A replica held here but owned elsewhere: dropped once its owners have held it loaded for HANDOFF_GRACE_MS. */
  async maybeRelease(r: CatalogRow): Promise<void> {
    const k = collectionKey(r.tenant_id, r.name);
    if (!this.host.replicas.has(k)) {
      // A copy left from before a restart, followed by nothing: stale, and never to be served.
      if (this.host.spaces.of(r.tenant_id).has(r.name)) await this.host.dropLocal(r.tenant_id, r.name);
      return;
    }
    if (!this.placement.handedOff(r.tenant_id, r.name, r.instance)) {
      this.releasable.delete(k);
      return;
    }
    const since = this.releasable.get(k) ?? Date.now();
    this.releasable.set(k, since);
    if (Date.now() - since < HANDOFF_GRACE_MS) return;
    this.host.log.info({ tenant: r.tenant_id, collection: r.name }, 'replica handed off to its owners; dropping it here');
    this.releasable.delete(k);
    await this.host.dropLocal(r.tenant_id, r.name);
  }

  /** Tell the placements table what this node holds (not after withdrawing). */
  async publish(): Promise<void> {
    if (!this.withdrawn) await this.placement.publish(this.held());
  }

  /** What this node holds, for the placements table. */
  private held(): Held[] {
    return [...this.host.replicas.values()].map((r) => {
      let stats: Held['stats'] = null;
      if (r.loaded && !r.closed) {
        try {
          const s = this.host.spaces.of(r.tenant).get(r.name).stats();
          stats = { count: s.count, diskBytes: s.diskBytes, unindexed: s.unindexed };
        } catch {
          // dropped meanwhile
        }
      }
      // Loaded = it has its data: after the node's start catch-up (a restarted node's replicas may be
      // far behind until then), and once its own first load is done.
      return { tenant: r.tenant, name: r.name, instance: r.instance, loaded: this.host.ready() && r.loaded && !r.closed, applied: Math.max(r.applied, 0), stats };
    });
  }

  /**
   * At a graceful stop: leave the node table and the holders now, so that the others stop
   * forwarding here before the server stops answering (they see it within a second).
   */
  async withdraw(): Promise<void> {
    if (this.withdrawn) return;
    this.withdrawn = true;
    await inTransaction(this.host.pool, async (c) => {
      await c.query('DELETE FROM placements WHERE node_id = $1', [this.host.nodeId]);
      await c.query('DELETE FROM nodes WHERE id = $1', [this.host.nodeId]);
    }).catch((e) => this.host.log.warn({ err: (e as Error).message }, 'could not leave the placement tables; the others will see the heartbeat stop'));
  }

  /** The node to forward a request about this collection to, or null to serve it here (see Placement.elsewhere). */
  forwardTarget(tenant: string, name: string): NodeAddress | null {
    const r = this.host.replicas.get(collectionKey(tenant, name));
    if (r && r.loaded && !r.closed) {
      this.touch(tenant, name);
      return null;
    }
    return this.placement.elsewhere(tenant, name);
  }

  /** A node holding all of these collections loaded when this one does not (chat over several), or null. */
  holderOfAll(tenant: string, names: string[]): NodeAddress | null {
    if (names.every((n) => this.host.replicas.get(collectionKey(tenant, n))?.loaded)) return null;
    return this.placement.holdingAll(tenant, names);
  }

  private touch(tenant: string, name: string): void {
    const k = collectionKey(tenant, name);
    if (this.adopted.has(k)) this.adopted.set(k, Date.now());
  }

  /** See ClusterNode.gate. */
  gate(tenant: string, name: string, found: boolean): void {
    const k = collectionKey(tenant, name);
    const r = this.host.replicas.get(k);
    if (found && (!r || r.loaded)) {
      this.touch(tenant, name);
      return;
    }
    if (!found && !this.host.catalog().has(k)) return;
    // Owned here: the catalog sync is creating or loading it. Else hold it on demand (a while).
    if (!this.placement.owns(tenant, name)) this.adopted.set(k, Date.now());
    this.host.resyncCatalog();
    throw new VectraError('COLLECTION_LOADING', `collection "${name}" is being loaded onto this node (it is served by others under VECTRA_REPLICAS): retry in a few seconds`);
  }
}
