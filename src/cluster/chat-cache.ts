/**
 * The chat's semantic cache in Redis (docs/scale-out.md, "Redis"): the same cache as the
 * per-process one (src/rag/semantic-cache.ts: a question close enough to one already answered,
 * over the same collections in the same state, gets that answer again), shared by every node,
 * so a question answered on node 1 is answered from the cache on node 2.
 *
 * The state in the key names each collection's PostgreSQL seq as the node's replica has applied
 * it (ClusterNode.cacheState), the same on every node for the same data: a write anywhere moves
 * it, and every node stops matching the old answers as soon as its replica applies the write.
 *
 * Per tenant, every key under `vectra:chat:{<tenant id>}:` (the braces keep a tenant's keys in
 * one slot of a Redis Cluster):
 * - `v:<state hash>`: a hash, entry id → its creation time (float64) and the question's vector;
 * - `a:<state hash>`: a hash, entry id → the answer (JSON), read only on a hit;
 * - `lru`: a sorted set of `<state hash>:<entry id>` by last use, what bounds the tenant's
 *   entries (`maxEntries`; the least recently used go first, in the same script that adds one).
 * Every key expires `ttlMs` after its last addition; an entry older than `ttlMs` is never served.
 * A lookup reads the state's vectors (one HGETALL), compares them here, and on a hit reads that
 * one answer (one HGET).
 *
 * Redis holds nothing durable here: unreachable, hung or slow, the cache is simply not used
 * (a lookup is a miss, an answer is not stored) — never waited on beyond the command timeout
 * (SharedRedis, the same as the rate limits'), and after a failure not asked again until Redis
 * answers its health check.
 */
import { createHash, randomBytes } from 'node:crypto';
import { dot, norm } from '../vector/math.js';
import type { AnswerCache, SemanticCacheOptions } from '../rag/semantic-cache.js';
import type { SharedRedis } from './redis.js';

export const CHAT_KEY_PREFIX = 'vectra:chat:';

/**
 * Adds an entry and applies the bounds, atomically. KEYS: vectors, answers, lru.
 * ARGV: entry id, vector entry, answer, now, ttl, maxEntries, tenant prefix, state hash.
 */
const ADD = `
local id, now, ttl, max, prefix = ARGV[1], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
redis.call('HSET', KEYS[1], id, ARGV[2])
redis.call('HSET', KEYS[2], id, ARGV[3])
redis.call('ZADD', KEYS[3], now, ARGV[8] .. ':' .. id)
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ttl) end
local function forget(members)
  for _, m in ipairs(members) do
    local sep = string.find(m, ':', 1, true)
    local state, entry = string.sub(m, 1, sep - 1), string.sub(m, sep + 1)
    redis.call('HDEL', prefix .. 'v:' .. state, entry)
    redis.call('HDEL', prefix .. 'a:' .. state, entry)
  end
end
forget(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - ttl)))
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - ttl))
local over = redis.call('ZCARD', KEYS[3]) - max
if over > 0 then
  forget(redis.call('ZRANGE', KEYS[3], 0, over - 1))
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, over - 1)
end
return redis.call('ZCARD', KEYS[3])
`;

interface AddCommand {
  vectraChatCacheAdd(vectors: string, answers: string, lru: string, id: string, entry: Buffer, answer: string, now: number, ttl: number, max: number, prefix: string, state: string): Promise<number>;
}

/** A tenant's key prefix: every key of its entries starts with it, and no other tenant's does. */
export function tenantPrefix(tenantId: string): string {
  return `${CHAT_KEY_PREFIX}{${tenantId}}:`;
}

function stateHash(state: string): string {
  return createHash('sha256').update(state).digest('hex').slice(0, 32);
}

export class RedisSemanticCache<T> implements AnswerCache<T> {
  hits = 0;
  misses = 0;

  constructor(
    private readonly redis: SharedRedis,
    private readonly o: SemanticCacheOptions,
  ) {
    redis.client.defineCommand('vectraChatCacheAdd', { numberOfKeys: 3, lua: ADD });
  }

  /** The entries are in Redis, shared: this node does not count them. */
  size(): null {
    return null;
  }

  async get(tenantId: string, state: string, vector: Float32Array, now = Date.now()): Promise<T | null> {
    const n = norm(vector);
    if (n === 0 || !this.redis.up) return this.miss();
    const prefix = tenantPrefix(tenantId);
    const sh = stateHash(state);
    try {
      const entries = await this.redis.client.hgetallBuffer(`${prefix}v:${sh}`);
      let best: { id: string; cos: number } | null = null;
      for (const [id, buf] of Object.entries(entries)) {
        if (buf.byteLength < 8 || (buf.byteLength - 8) % 4 !== 0) continue;
        if (now - buf.readDoubleLE(0) > this.o.ttlMs) continue;
        const v = new Float32Array(buf.buffer.slice(buf.byteOffset + 8, buf.byteOffset + buf.byteLength));
        if (v.length !== vector.length) continue;
        const m = norm(v);
        if (m === 0) continue;
        const cos = dot(vector, v) / (n * m);
        if (cos >= this.o.threshold && (!best || cos > best.cos)) best = { id, cos };
      }
      if (!best) {
        this.redis.answered();
        return this.miss();
      }
      const answer = await this.redis.client.hget(`${prefix}a:${sh}`, best.id);
      this.redis.answered();
      // Evicted between the two reads: a miss.
      if (answer === null) return this.miss();
      // Most recently used: kept longest under the tenant's bound (not waited for).
      this.redis.client.zadd(`${prefix}lru`, 'XX', now, `${sh}:${best.id}`).catch((e: Error) => this.redis.failed(e));
      this.hits++;
      return JSON.parse(answer) as T;
    } catch (e) {
      this.redis.failed(e as Error);
      return this.miss();
    }
  }

  async set(tenantId: string, state: string, vector: Float32Array, value: T, now = Date.now()): Promise<void> {
    if (!this.redis.up) return;
    const prefix = tenantPrefix(tenantId);
    const sh = stateHash(state);
    const entry = Buffer.alloc(8 + vector.byteLength);
    entry.writeDoubleLE(now, 0);
    Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(entry, 8);
    try {
      await (this.redis.client as unknown as AddCommand).vectraChatCacheAdd(`${prefix}v:${sh}`, `${prefix}a:${sh}`, `${prefix}lru`, randomBytes(8).toString('hex'), entry, JSON.stringify(value), now, this.o.ttlMs, this.o.maxEntries, prefix, sh);
      this.redis.answered();
    } catch (e) {
      this.redis.failed(e as Error);
    }
  }

  private miss(): null {
    this.misses++;
    return null;
  }
}
