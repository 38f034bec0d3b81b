/**
 * A node of the scale-out mode (docs/scale-out.md). PostgreSQL holds the truth — accounts,
 * collections, records, the change feed — and this node serves from local replicas of it,
 * which it can rebuild at any time:
 *
 * - accounts: mirrored into the local system.db (keys checked there, per request, as in the
 *   embedded mode), caught up on every `vectra_accounts` notification and every second;
 * - collections: created and dropped locally as PostgreSQL's `collections` says (catalog);
 * - records: each collection a Replica following PostgreSQL's feed (`vectra_changes`
 *   notifications wake it, the table is the truth, a poll every second catches what a lost
 *   notification missed).
 *
 * Writes (records.ts) go to PostgreSQL first (one transaction, seq from the collection's locked row); the
 * answer waits until this node's replica has applied them, so a client reads its own writes
 * on the node it wrote to, and the seq it got lets it ask any other node for as much.
 */
import { randomUUID } from 'node:crypto';
import { resolveConfig, COLLECTION_NAME, DEFAULT_CHANGE_RETENTION, type ChangeRetention, type CollectionConfigInput } from '../engine/index.js';
import { VectraError, isVectraError } from '../errors.js';
import type { Accounts } from '../services/accounts.js';
import type { TenantSpaces } from '../services/tenant-spaces.js';
import type { AccountWrites, CatalogWrites, FeedSource, RecordWrites } from '../services/writes.js';
import { DB_NOW_MS, inTransaction, Listener, migrate, openPool, query, unreachable, type Pool } from './pg.js';
import { LiveFeed } from './live-feed.js';
import { CHANGES_CHANNEL, RecordLog } from './record-log.js';
import { ACCOUNTS_CHANNEL, AccountsMirror } from './accounts.js';
import { CoalescedRun } from './coalesce.js';
import { Replica, ReplicaState } from './replica.js';
import { Placement, type Held, type NodeAddress } from './placement.js';
import { collectionKey, Seat, type CatalogRow } from './seat.js';
import { ChangeRetentionRunner } from './retention.js';
import { ClusterRecords } from './records.js';

const CATALOG_CHANNEL = 'vectra_catalog';
const POLL_MS = 1000;

export interface ClusterLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ClusterOptions {
  url: string;
  nodeId: string;
  dataDir: string;
  /** Nodes serving each collection (VECTRA_REPLICAS); null: every node serves every collection. */
  replicas: number | null;
  /** Where the other nodes reach this one (forwarded requests); else the address it listens at (see advertise). */
  advertiseUrl: string | null;
  accounts: Accounts;
  spaces: TenantSpaces;
  log: ClusterLog;
  /** The change feed's retention (the embedded mode's rule), applied in PostgreSQL by one node at a time. */
  changeRetention?: ChangeRetention;
}

export class ClusterNode {
  readonly pool: Pool;
  readonly log: RecordLog;
  private readonly state: ReplicaState;
  private readonly accountsMirror: AccountsMirror;
  /** Registration and keys: PostgreSQL first, then this node's mirror (accounts.ts). */
  readonly accountWrites: AccountWrites;
  private readonly listener: Listener;
  private readonly retention: ChangeRetentionRunner;
  private readonly replicas = new Map<string, Replica>();
  /** The change streams following collections here, woken by the commits this node hears of. */
  private readonly live = new LiveFeed((t, n, c, since, limit, include) => this.feed.changes(t, n, c, since, limit, include));
  private poll: NodeJS.Timeout | null = null;
  private readonly catalogRuns = new CoalescedRun(() => this.syncCatalogOnce(), () => this.closed);
  private closed = false;
  /** True once accounts, catalog and every replica were caught up with what was committed when the node started. */
  ready = false;
  /** Whether PostgreSQL answered the last poll. */
  databaseUp = false;
  /** VECTRA_REPLICAS: who serves what (null: every node serves every collection). */
  readonly placement: Placement | null;
  /** Placement: this node's part in it (seat.ts); null without VECTRA_REPLICAS. */
  private readonly seat: Seat | null;
  /** Placement: the cluster's shared secret that vouches for a forwarded request (null before start). */
  forwardSecret: string | null = null;
  /** PostgreSQL's catalog as of the last sync. */
  private catalogRows = new Map<string, CatalogRow>();
  /** Writes, consistency and the feed (records.ts). */
  private readonly records: ClusterRecords;
  readonly writes: RecordWrites;
  readonly feed: FeedSource;
  /** Told of each change applied here, `ms` after it was written (/metrics sets it). */
  onApplied: ((ms: number) => void) | null = null;
  /** Told of each commit heard of (NOTIFY, this node's writes, the poll): the webhook pump. */
  readonly onCommit: ((tenant: string, name: string, seq: number) => void)[] = [];

  get nodeId(): string {
    return this.o.nodeId;
  }

  constructor(private readonly o: ClusterOptions) {
    this.pool = openPool(o.url, (e) => o.log.warn({ err: e.message }, 'PostgreSQL connection lost'));
    this.log = new RecordLog(this.pool);
    this.state = new ReplicaState(o.dataDir);
    this.accountsMirror = new AccountsMirror({ pool: this.pool, state: this.state, accounts: o.accounts, spaces: o.spaces, log: o.log, stopped: () => this.closed });
    this.accountWrites = this.accountsMirror.writes;
    this.records = new ClusterRecords({
      log: this.log,
      live: this.live,
      replica: (t, n) => this.replica(t, n),
      stale: () => this.resyncCatalog(),
      onCommit: this.onCommit,
      logger: o.log,
    });
    this.writes = this.records.writes;
    this.feed = this.records.feed;
    this.placement = o.replicas ? new Placement(this.pool, { id: o.nodeId, url: o.advertiseUrl ?? '' }, o.replicas) : null;
    this.seat = this.placement
      ? new Seat(this.placement, {
          nodeId: o.nodeId,
          pool: this.pool,
          spaces: o.spaces,
          log: o.log,
          replicas: this.replicas,
          catalog: () => this.catalogRows,
          ready: () => this.ready,
          resyncCatalog: () => this.resyncCatalog(),
          dropLocal: (t, n) => this.dropLocal(t, n),
        })
      : null;
    this.retention = new ChangeRetentionRunner(this.pool, o.changeRetention ?? DEFAULT_CHANGE_RETENTION, o.log);
    this.listener = new Listener(
      o.url,
      [CHANGES_CHANNEL, ACCOUNTS_CHANNEL, CATALOG_CHANNEL],
      (channel, payload) => this.notified(channel, payload),
      () => void this.tick(),
      (msg, err) => o.log.warn({ err }, msg),
    );
  }

  private key(tenant: string, name: string): string {
    return collectionKey(tenant, name);
  }

  /** The address this node listens at, known once it does: the one other nodes forward to unless VECTRA_ADVERTISE_URL says otherwise. */
  advertise(listening: string): void {
    if (this.placement && !this.o.advertiseUrl) this.placement.self.url = listening;
  }

  /**
   * Migrate, then catch up with PostgreSQL (retrying while it is out of reach); resolves once
   * this node is current. Requests are served meanwhile from whatever the local replicas hold.
   */
  async start(): Promise<void> {
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      if (this.closed) return;
      try {
        await migrate(this.pool);
        await this.listener.start();
        if (this.placement) {
          // What a previous run of this node published is not what it holds now (gone before it beats again).
          await this.pool.query('DELETE FROM placements WHERE node_id = $1', [this.o.nodeId]);
          this.forwardSecret = (await query<{ secret: string }>(this.pool, 'SELECT secret FROM cluster_secret'))[0]?.secret ?? null;
        }
        await this.heartbeat();
        break;
      } catch (e) {
        if (!unreachable(e)) throw e;
        this.o.log.warn({ err: (e as Error).message }, 'PostgreSQL not reachable yet; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    // From here on the poll keeps the node in step, whatever the first catch-up meets.
    this.poll = setInterval(() => void this.tick(), POLL_MS);
    this.poll.unref();
    for (let delay = 250; !this.closed; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.syncAccounts();
        await this.placement?.refresh();
        await this.syncCatalog();
        // A replica whose collection went away meanwhile does not hold up readiness.
        await Promise.all([...this.replicas.values()].map((r) => r.catchUp().catch((e) => this.replicaError(r.tenant, r.name, e))));
        break;
      } catch (e) {
        if (!unreachable(e) && !(isVectraError(e) && e.code === 'DATABASE_UNAVAILABLE')) throw e;
        this.o.log.warn({ err: (e as Error).message }, 'catching up with PostgreSQL failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    this.databaseUp = true;
    this.ready = true;
    this.retention.start();
  }

  /**
   * Collections in the data directory that the cluster did not create (an embedded mode's):
   * the scale-out mode would drop them as unknown to PostgreSQL, so it refuses to start there.
   */
  assertNoLocalData(): void {
    for (const db of this.o.spaces.all()) {
      for (const name of db.names()) {
        if (this.localInstance(tenantOfDb(db.root), name) === null) {
          throw new VectraError(
            'INVALID_ARGUMENT',
            `the data directory ${this.o.dataDir} holds collection "${name}" of the embedded mode; the scale-out mode serves replicas of PostgreSQL and would drop it: start each node on an empty data directory, and load your data through the API (e.g. vectra import)`,
          );
        }
      }
    }
  }

  /** Every second: accounts, catalog and every replica's head (what a lost notification missed), and the heartbeat. */
  private ticking = false;

  private async tick(): Promise<void> {
    if (this.closed || this.ticking) return;
    this.ticking = true;
    try {
      try {
        await this.heartbeat();
        if (!this.databaseUp) this.o.log.info({}, 'PostgreSQL reachable again');
        this.databaseUp = true;
      } catch (e) {
        if (this.databaseUp) this.o.log.warn({ err: (e as Error).message }, 'PostgreSQL not reachable: serving reads from the local replicas, refusing writes');
        this.databaseUp = false;
        return;
      }
      // Each step on its own: one failing (a local disk error, one collection) stops no other.
      await this.syncAccounts().catch((e) => this.o.log.warn({ err: (e as Error).message }, 'accounts catch-up failed'));
      await this.placement?.refresh().catch((e) => this.o.log.warn({ err: (e as Error).message }, 'placement not refreshed'));
      await this.syncCatalog().catch((e) => this.o.log.warn({ err: (e as Error).message }, 'catalog catch-up failed'));
      await this.seat?.publish().catch((e) => this.o.log.warn({ err: (e as Error).message }, 'placement not published'));
      const heads = await this.log.heads().catch(() => []);
      for (const h of heads) {
        const r = this.replicas.get(this.key(h.tenant, h.name));
        if (!r || r.instance !== h.instance) continue;
        // A cursor ahead of the database (restored from a backup, a failover that lost commits): load again.
        if (r.applied > h.seq) {
          this.o.log.warn({ tenant: h.tenant, collection: h.name, applied: r.applied, head: h.seq }, 'replica ahead of PostgreSQL; reloading it');
          await this.dropLocal(h.tenant, h.name).catch(() => undefined);
          this.catalogRuns.request();
          continue;
        }
        this.heard(h.tenant, h.name, h.seq);
      }
    } finally {
      this.ticking = false;
    }
  }

  /** This node is alive, by PostgreSQL's clock (placement compares heartbeats with it: nodes' clocks may differ). */
  private async heartbeat(): Promise<void> {
    if (this.seat?.withdrawn) return;
    await this.pool.query(
      `INSERT INTO nodes (id, url, started_at, heartbeat_at) VALUES ($1, $2, ${DB_NOW_MS}, ${DB_NOW_MS}) ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, url = excluded.url`,
      [this.o.nodeId, this.placement?.self.url || null],
    );
  }

  /**
   * Placement, at a graceful stop: leave the node table and the holders now, so that the others
   * stop forwarding here before the server stops answering (they see it within a second).
   */
  async withdraw(): Promise<void> {
    await this.seat?.withdraw();
  }

  private notified(channel: string, payload: string): void {
    if (channel === CHANGES_CHANNEL) {
      try {
        const [tenant, name, seq] = JSON.parse(payload) as [string, string, number];
        this.heard(tenant, name, seq);
      } catch {
        // Not ours: ignore.
      }
    } else if (channel === ACCOUNTS_CHANNEL) void this.syncAccounts().catch((e) => this.o.log.warn({ err: (e as Error).message }, 'accounts catch-up failed'));
    else if (channel === CATALOG_CHANNEL) void this.syncCatalog().catch((e) => this.o.log.warn({ err: (e as Error).message }, 'catalog catch-up failed'));
  }

  /** A committed seq of a collection, heard of: its replica catches up, its streams wake. */
  private heard(tenant: string, name: string, seq: number): void {
    this.replicas.get(this.key(tenant, name))?.nudge(seq);
    this.live.heard(tenant, name, seq);
    for (const f of this.onCommit) f(tenant, name, seq);
  }

  /** Tenants and keys changed since the last version applied here, into the local mirror. */
  syncAccounts(): Promise<void> {
    return this.accountsMirror.sync();
  }

  // ------------------------------------------------------------------ catalog

  /** Local collections made to match PostgreSQL's: created, dropped (or rebuilt: another instance of the name), replicas started. */
  syncCatalog(): Promise<void> {
    return this.catalogRuns.run();
  }

  /** Sync the catalog in the background (again after a run under way: CoalescedRun.run), failures left to the poll. */
  private resyncCatalog(): void {
    void this.syncCatalog().catch(() => undefined);
  }

  private async syncCatalogOnce(): Promise<void> {
    const rows = await query<CatalogRow>(this.pool, 'SELECT tenant_id, name, instance, config, seq FROM collections');
    const wanted = new Map(rows.map((r) => [this.key(r.tenant_id, r.name), r]));
    this.catalogRows = wanted;
    // Gone from PostgreSQL, or another instance of the name: drop here.
    for (const db of this.o.spaces.all()) {
      const tenant = tenantOfDb(db.root);
      for (const name of db.names()) {
        const row = wanted.get(this.key(tenant, name));
        const instance = this.localInstance(tenant, name);
        // Only what the cluster created here (it has an instance) is ever dropped here.
        if (instance !== null && (!row || instance !== row.instance)) await this.dropLocal(tenant, name);
      }
    }
    for (const r of rows) {
      if (this.seat && !this.seat.serves(r.tenant_id, r.name)) {
        await this.seat.maybeRelease(r);
        continue;
      }
      // One collection failing here (a local disk error) stops no other.
      await this.syncOne(r).catch((e) => this.o.log.warn({ tenant: r.tenant_id, collection: r.name, err: (e as Error).message }, 'local replica not set up; retrying at the next poll'));
    }
  }

  private async syncOne(r: CatalogRow): Promise<void> {
    const k = this.key(r.tenant_id, r.name);
    const space = this.o.spaces.of(r.tenant_id);
    await space.ready;
    let applied = this.state.applied(r.tenant_id, r.name, r.instance);
    const existing = this.replicas.get(k);
    if (existing && existing.instance === r.instance && !existing.closed) {
      // Known here (perhaps still in its first load): only tell it the head.
      this.heard(r.tenant_id, r.name, Number(r.seq));
      return;
    }
    if (space.has(r.name) && applied === null) {
      // A local copy without a cursor (replica.db lost): start it again from empty.
      await this.dropLocal(r.tenant_id, r.name);
    }
    if (!space.has(r.name)) {
      await space.create(r.name, { ...r.config, attributes: { ...(r.config.attributes ?? {}), instance: r.instance } });
      applied = null;
    }
    const replica = new Replica(r.tenant_id, r.name, r.instance, this.log, () => this.o.spaces.of(r.tenant_id).get(r.name), this.state, {
      lag: (ms) => this.onApplied?.(ms),
      error: (e) => this.replicaError(r.tenant_id, r.name, e),
      reloading: (at, floor) => this.o.log.warn({ tenant: r.tenant_id, collection: r.name, applied: at, floor }, 'replica behind the change feed retention (the changes it needs were let go); loading it whole again'),
    }, applied);
    this.replicas.set(k, replica);
    this.heard(r.tenant_id, r.name, Number(r.seq));
  }

  private replicaError(tenant: string, name: string, e: unknown): void {
    if (isVectraError(e) && (e.code === 'COLLECTION_NOT_FOUND' || e.code === 'COLLECTION_CLOSED')) return;
    this.o.log.warn({ tenant, collection: name, err: (e as Error).message }, 'replica catch-up failed; retrying at the next poll');
  }

  private localInstance(tenant: string, name: string): string | null {
    try {
      const v = this.o.spaces.of(tenant).get(name).config.attributes.instance;
      return typeof v === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  private async dropLocal(tenant: string, name: string): Promise<void> {
    const k = this.key(tenant, name);
    this.seat?.forget(tenant, name);
    const r = this.replicas.get(k);
    if (r) {
      r.close(new VectraError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`));
      this.replicas.delete(k);
      await r.settled();
    }
    this.state.forget(tenant, name);
    const space = this.o.spaces.of(tenant);
    this.live.gone(tenant, name);
    if (space.has(name)) await space.drop(name).catch((e) => this.o.log.warn({ tenant, collection: name, err: (e as Error).message }, 'local replica drop failed'));
  }

  readonly catalog: CatalogWrites = {
    create: async (tenantId, name, config) => {
      if (!COLLECTION_NAME.test(name)) throw new VectraError('INVALID_ARGUMENT', 'collection name must be 1-64 characters of letters, digits, "_" or "-"');
      resolveConfig(config);
      const instance = randomUUID();
      const create = async () => {
        await inTransaction(this.pool, async (c) => {
          const res = await c.query('INSERT INTO collections (tenant_id, name, instance, config, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [tenantId, name, instance, JSON.stringify(config), Date.now()]);
          if (res.rowCount === 0) throw new VectraError('COLLECTION_EXISTS', `collection "${name}" already exists; pick another name or delete it first`);
          await c.query('SELECT pg_notify($1, $2)', [CATALOG_CHANNEL, JSON.stringify([tenantId, name])]);
        });
        await this.syncCatalog();
      };
      // Placement: held here too until its owners have it loaded (Seat.maybeRelease), so that the answer can describe it.
      await (this.seat ? this.seat.creatingHere(tenantId, name, create) : create());
      return this.o.spaces.of(tenantId).get(name);
    },
    drop: async (tenantId, name) => {
      await inTransaction(this.pool, async (c) => {
        const res = await c.query('DELETE FROM collections WHERE tenant_id = $1 AND name = $2', [tenantId, name]);
        if (res.rowCount === 0) throw new VectraError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`);
        await c.query('DELETE FROM records WHERE tenant_id = $1 AND collection = $2', [tenantId, name]);
        await c.query('DELETE FROM changes WHERE tenant_id = $1 AND collection = $2', [tenantId, name]);
        await c.query('SELECT pg_notify($1, $2)', [CATALOG_CHANNEL, JSON.stringify([tenantId, name])]);
      });
      await this.syncCatalog();
    },
  };

  // ------------------------------------------------------------------ records

  private replica(tenant: string, name: string): Replica {
    const r = this.replicas.get(this.key(tenant, name));
    if (!r) throw new VectraError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`);
    return r;
  }

  /** Wait until this node has applied everything up to `seq` of the collection (REPLICA_BEHIND after `timeoutMs`). */
  waitFor(tenant: string, name: string, seq: number, timeoutMs: number): Promise<void> {
    return this.records.waitFor(tenant, name, seq, timeoutMs);
  }

  /** Wait until this node has applied everything committed before now. */
  current(tenant: string, name: string, timeoutMs: number): Promise<void> {
    return this.records.current(tenant, name, timeoutMs);
  }

  /** A search's `minSeq`: a seq the collection has not reached is a mistake (400), as in the embedded mode. */
  atLeast(tenant: string, name: string, seq: number, timeoutMs: number): Promise<void> {
    return this.records.atLeast(tenant, name, seq, timeoutMs);
  }

  // ------------------------------------------------------------------ placement

  /**
   * Placement: the node to forward a request about this collection to, or null to serve it
   * here (this node holds it loaded, or no other node can: see Placement.elsewhere).
   */
  forwardTarget(tenant: string, name: string): NodeAddress | null {
    return this.seat?.forwardTarget(tenant, name) ?? null;
  }

  /** Placement: a node holding all of these collections loaded when this one does not (chat over several), or null. */
  holderOfAll(tenant: string, names: string[]): NodeAddress | null {
    return this.seat?.holderOfAll(tenant, names) ?? null;
  }

  /**
   * Placement: every use of a local collection passes here. A replica still in its first load
   * answers COLLECTION_LOADING (503) instead of partial results; a collection that exists but is
   * placed elsewhere is loaded here on demand (what chat and WebSocket actions reach) and
   * answers COLLECTION_LOADING until it is; anything else is COLLECTION_NOT_FOUND as usual.
   */
  readonly gate = (tenant: string, name: string, found: boolean): void => this.seat?.gate(tenant, name, found);

  /** Placement: the tenant's collections in PostgreSQL's catalog, with a holder's counts for those not held here. */
  catalogOf(tenant: string): { name: string; config: CollectionConfigInput; instance: string; stats: Held['stats'] }[] {
    return [...this.catalogRows.values()]
      .filter((r) => r.tenant_id === tenant)
      .map((r) => ({ name: r.name, config: r.config, instance: r.instance, stats: this.placement?.statsOf(tenant, r.name, r.instance) ?? null }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * A collection's state in the chat cache's key: its instance and the PostgreSQL seq its replica
   * has applied (the same on every node for the same data); null while the replica (re)loads.
   */
  cacheState(tenant: string, name: string): [string, number] | null {
    const r = this.replicas.get(this.key(tenant, name));
    const at = r?.stableAt ?? null;
    return r && at !== null ? [r.instance, at] : null;
  }

  /** Per replica: applied seq and how far behind the newest seq heard of. */
  replicaStats(): { tenant: string; collection: string; applied: number; known: number }[] {
    return [...this.replicas.values()].map((r) => ({ tenant: r.tenant, collection: r.name, applied: r.applied, known: r.known }));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    await this.listener.close();
    await this.retention.close();
    for (const r of this.replicas.values()) r.close(new VectraError('COLLECTION_CLOSED', 'the server is stopping'));
    await Promise.all([...this.replicas.values()].map((r) => r.settled()));
    await this.catalogRuns.settled();
    await this.accountsMirror.settled();
    await this.pool.end().catch(() => undefined);
    this.state.close();
  }
}

/** DATA_DIR/tenants/<id> → id. */
function tenantOfDb(root: string): string {
  return root.split(/[\\/]/).pop()!;
}
