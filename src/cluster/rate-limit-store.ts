/**
 * The rate limiter's store in the scale-out mode with Redis: one count per API key across all
 * the nodes (@fastify/rate-limit's own Redis store: an atomic INCR + PEXPIRE script), with the
 * plugin's own node-local store kept alongside. Every request is counted in both; the answer
 * is Redis's while Redis is up, the local one when it is not (SharedRedis: unreachable, or a
 * command failed or timed out). So when Redis goes away the limit becomes per node — as
 * without Redis — counted from this node's own requests in the window, and no request fails
 * or waits because of it; when Redis returns, its count is the limit again.
 *
 * The HTTP routes and the WebSocket search (`app.createRateLimit()`, src/api/ws-search.ts) use
 * the same store, so they share one budget here too.
 */
import { createRequire } from 'node:module';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor, RateLimitPluginOptions } from '@fastify/rate-limit';
import type { SharedRedis } from './redis.js';

type Result = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Result) => void;
type Method = 'incr' | 'read';
/** The plugin's stores (not in its typings): incr, read (a count without counting) and child (a route's own). */
interface PluginStore {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
  read(key: string, cb: Callback, timeWindow: number, max: number): void;
  child(routeOptions: unknown): PluginStore;
}

// The plugin's own stores (pinned version), so the counting is exactly the embedded mode's.
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean) => PluginStore;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, redis: unknown, prefix: string) => PluginStore;

/** Redis keys: this prefix, then the plugin's (`k:<key id>` per API key, `ip:<address>` on public routes). */
export const RATE_KEY_PREFIX = 'vectra:rate:';

class SharedStore {
  constructor(
    private readonly redis: SharedRedis,
    private readonly local: PluginStore,
    private readonly shared: PluginStore,
  ) {}

  incr(key: string, cb: Callback, timeWindow: number, max: number): void {
    this.call('incr', key, cb, timeWindow, max);
  }

  read(key: string, cb: Callback, timeWindow: number, max: number): void {
    this.call('read', key, cb, timeWindow, max);
  }

  child(routeOptions: unknown): SharedStore {
    return new SharedStore(this.redis, this.local.child(routeOptions), this.shared.child(routeOptions));
  }

  private call(method: Method, key: string, cb: Callback, timeWindow: number, max: number): void {
    this.local[method](
      key,
      (localErr, local) => {
        if (localErr || !this.redis.up) return cb(localErr, local);
        this.shared[method](
          key,
          (err, shared) => {
            if (err) {
              this.redis.failed(err);
              cb(null, local);
            } else {
              this.redis.answered();
              cb(null, shared);
            }
          },
          timeWindow,
          max,
        );
      },
      timeWindow,
      max,
    );
  }
}

/** The `store` option of @fastify/rate-limit: counts in Redis, falls back to this node's counts. */
export function sharedRateLimitStore(redis: SharedRedis): FastifyRateLimitStoreCtor {
  return class {
    constructor(o: RateLimitPluginOptions) {
      const cont = o.continueExceeding ?? false;
      const backoff = o.exponentialBackoff ?? false;
      return new SharedStore(redis, new LocalStore(cont, backoff), new RedisStore(cont, backoff, redis.client, RATE_KEY_PREFIX)) as unknown as FastifyRateLimitStore;
    }
  } as unknown as FastifyRateLimitStoreCtor;
}
