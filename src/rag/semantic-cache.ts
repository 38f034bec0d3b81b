/**
 * The semantic cache of chat answers, per tenant: a question whose vector is close enough
 * (cosine ≥ threshold) to one already answered, over the same collections in the same state
 * with the same retrieval settings, gets that answer again (`cached: true`) without a search.
 *
 * "The same state" is part of the key: each grounding collection's name, instance (its
 * creation time) and seq. Any write moves a seq, so every answer over that collection stops
 * matching at once — invalidation needs no listener, and a dropped and re-created collection
 * never meets its predecessor's answers. Bounded: at most `maxEntries` per tenant (the least
 * recently used go first) and `ttlMs` of age.
 */
import { dot, norm } from '../vector/math.js';

/**
 * What chat asks of a semantic cache: this one (per process) or, in the scale-out mode with
 * Redis, the shared one (src/cluster/chat-cache.ts). A lookup that cannot be made is a miss.
 */
export interface AnswerCache<T> {
  get(tenantId: string, state: string, vector: Float32Array): T | null | Promise<T | null>;
  set(tenantId: string, state: string, vector: Float32Array, value: T): void | Promise<void>;
  /** Lookups answered from the cache, and not, by this process since its start. */
  readonly hits: number;
  readonly misses: number;
  /** Entries held, over every tenant; null when not known here (a shared cache). */
  size(): number | null;
}

export interface SemanticCacheOptions {
  /** Cosine at or above which two questions are the same question (default 0.95). */
  threshold: number;
  ttlMs: number;
  maxEntries: number;
}

interface Entry<T> {
  state: string;
  vector: Float32Array;
  norm: number;
  value: T;
  at: number;
}

export class SemanticCache<T> implements AnswerCache<T> {
  private readonly byTenant = new Map<string, Entry<T>[]>();
  hits = 0;
  misses = 0;

  constructor(private readonly o: SemanticCacheOptions) {}

  /** The cached value for a question this close in this state, or null. */
  get(tenantId: string, state: string, vector: Float32Array, now = Date.now()): T | null {
    const entries = this.byTenant.get(tenantId);
    const n = norm(vector);
    if (entries && n > 0) {
      for (let i = entries.length - 1; i >= 0; i--) {
        const e = entries[i];
        if (now - e.at > this.o.ttlMs) {
          entries.splice(i, 1);
          continue;
        }
        if (e.state !== state || e.norm === 0) continue;
        if (dot(vector, e.vector) / (n * e.norm) >= this.o.threshold) {
          // Most recently used last.
          entries.splice(i, 1);
          entries.push(e);
          this.hits++;
          return e.value;
        }
      }
    }
    this.misses++;
    return null;
  }

  set(tenantId: string, state: string, vector: Float32Array, value: T, now = Date.now()): void {
    let entries = this.byTenant.get(tenantId);
    if (!entries) this.byTenant.set(tenantId, (entries = []));
    entries.push({ state, vector, norm: norm(vector), value, at: now });
    if (entries.length > this.o.maxEntries) entries.splice(0, entries.length - this.o.maxEntries);
  }

  /** Entries held, over every tenant. */
  size(): number {
    let n = 0;
    for (const e of this.byTenant.values()) n += e.length;
    return n;
  }
}
