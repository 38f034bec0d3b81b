/**
 * Redis for the scale-out mode (docs/scale-out.md, "Redis"): what the nodes share at a high
 * rate and may lose — the rate-limit counters and the chat's semantic cache. Redis holds
 * nothing durable here, so when it is unreachable the node goes on without it (rate limits
 * fall back to the node's own counts, the chat to no cache) and never waits for it: commands
 * are not queued while disconnected (`enableOfflineQueue: false`, one attempt each), a command unanswered within
 * COMMAND_TIMEOUT_MS fails, and after a failure the node stops asking Redis until a PING
 * (every HEALTH_MS) is answered again — so a hung server costs the requests in flight when
 * it hung one short wait, not every request one. The client reconnects by itself (backoff up
 * to 2 s). `up` is exported in /metrics as `vectra_cluster_redis_up`; each change of it is
 * logged once.
 */
import { Redis } from 'ioredis';
import type { ClusterLog } from './node.js';

/** A command (a rate-limit check is one round trip) unanswered for this long fails; the request goes on without Redis. */
export const COMMAND_TIMEOUT_MS = 250;
/** How often Redis is PINGed: what brings it back into use after a failure, and keeps `up` true to the fact without traffic. */
export const HEALTH_MS = 1000;
const CONNECT_TIMEOUT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 2000;

export class SharedRedis {
  readonly client: Redis;
  /** Connected, and neither a command nor the last PING failed since. */
  private healthy = false;
  /** What was last logged: null before the first connection or failure. */
  private reported: boolean | null = null;
  private lastError = '';
  private closed = false;
  private readonly health: NodeJS.Timeout;

  constructor(
    url: string,
    private readonly log: ClusterLog,
  ) {
    this.client = new Redis(url, {
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      // Commands cut by a lost connection fail; they are not sent again after reconnecting.
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times) => Math.min(100 * times, MAX_RECONNECT_DELAY_MS),
    });
    this.client.on('error', (e: Error) => {
      this.lastError = e.message;
    });
    this.client.on('ready', () => this.answered());
    this.client.on('close', () => {
      if (!this.closed) this.failed(new Error(this.lastError || 'connection closed'));
    });
    this.health = setInterval(() => {
      if (this.client.status === 'ready') this.client.ping().then(() => this.answered(), (e: Error) => this.failed(e));
    }, HEALTH_MS);
    this.health.unref();
  }

  /** Whether Redis is to be asked now: connected, and nothing failed since the last answer. */
  get up(): boolean {
    return this.healthy && this.client.status === 'ready';
  }

  /** A command failed (timed out, connection lost): Redis is not asked again until a PING is answered. */
  failed(e: Error): void {
    this.lastError = e.message;
    this.healthy = false;
    this.report(false);
  }

  /** A command (or PING) was answered. */
  answered(): void {
    this.healthy = true;
    this.report(true);
  }

  private report(up: boolean): void {
    if (this.reported === up) return;
    if (up) this.log.info({}, this.reported === null ? 'Redis connected: rate limits and the chat cache are shared by the nodes' : 'Redis reachable again: rate limits and the chat cache are shared by the nodes');
    else this.log.warn({ err: this.lastError || 'connection closed' }, 'Redis not reachable: rate limits are counted on this node alone, and the chat cache is not used, until it returns');
    this.reported = up;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.health);
    this.client.disconnect();
  }
}
