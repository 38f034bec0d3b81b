/**
 * The embedding worker pool: model code never runs on the main thread.
 *
 * - One worker per core (piscina), each holding its own model runtimes (worker.ts).
 * - Request batching: texts asked for the same model in the same turn of the event loop
 *   travel together, split into one task per worker so a large batch uses every core.
 * - An LRU cache of recent (model, purpose, text) → vector, bounded in bytes.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LRUCache } from 'lru-cache';
import { Piscina } from 'piscina';
import type { WorkerTask } from './worker.js';

// Run from source (tests, benchmarks) the worker is .ts and needs tsx's loader.
const EXT = extname(fileURLToPath(import.meta.url));
const WORKER = new URL(`./worker${EXT}`, import.meta.url).href;

/** Longer texts are not cached: they rarely repeat and would crowd out the rest. */
const MAX_CACHED_TEXT = 2000;
const MAX_TEXTS_PER_TASK = 256;

/** One caller's request: the vectors it still waits for are filled into `out`. */
interface Request {
  out: Float32Array[];
  remaining: number;
  failed: boolean;
  resolve: (v: Float32Array[]) => void;
  reject: (e: unknown) => void;
}

/** Embeds a batch of texts: row-major vectors, texts.length × dimension. */
export type BatchRunner = (texts: string[]) => Promise<Float32Array>;

interface Batch {
  dimension: number;
  cache: boolean;
  run: BatchRunner;
  maxPerCall: number;
  spread: number;
  /** Distinct text → the (request, position) pairs waiting for it. */
  waiting: Map<string, { req: Request; i: number }[]>;
}

export interface EmbedPoolOptions {
  threads?: number;
  /** Bytes of vectors kept in the LRU cache (default 64 MiB; 0 disables it). */
  cacheBytes?: number;
}

export class EmbedPool {
  readonly threads: number;
  private readonly piscina: Piscina;
  private readonly cache: LRUCache<string, Float32Array> | null;
  private batches = new Map<string, Batch>();
  private flushScheduled = false;
  hits = 0;
  misses = 0;

  constructor(opts: EmbedPoolOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
    this.piscina = new Piscina({
      filename: WORKER,
      // Workers start with the first task: a server that is only sent vectors never pays for them.
      minThreads: 0,
      maxThreads: this.threads,
      // Kept once started (the largest timer Node accepts; larger ones fire at once).
      idleTimeout: 2 ** 31 - 1,
      execArgv: EXT === '.ts' ? ['--import', 'tsx'] : [],
    });
    const cacheBytes = opts.cacheBytes ?? 64 << 20;
    this.cache = cacheBytes > 0 ? new LRUCache<string, Float32Array>({ maxSize: cacheBytes, sizeCalculation: (v, k) => v.byteLength + k.length * 2 + 64 }) : null;
  }

  /** Worker threads running now. */
  workers(): number {
    return this.piscina.threads.length;
  }

  /** Run one task on a worker as is (no batching, no cache). */
  run<T = Float32Array | null>(task: WorkerTask): Promise<T> {
    return this.piscina.run(task) as Promise<T>;
  }

  /** Batched, cached embedding through a worker task built by `makeTask` for each batch. */
  embed(key: string, dimension: number, makeTask: (texts: string[]) => WorkerTask, texts: string[], cache = true): Promise<Float32Array[]> {
    return this.embedWith(key, dimension, (batch) => this.run<Float32Array>(makeTask(batch)), texts, MAX_TEXTS_PER_TASK, this.threads, cache);
  }

  /**
   * Vectors for `texts` from the model identified by `key` (which must include anything that
   * changes the output, such as the purpose): cached ones at once, the rest coalesced with
   * other callers' texts for the same key in this turn of the event loop and handed to `run`
   * in at most `maxPerCall` texts, spread over at least `spread` calls when there are enough.
   * With `cache` false the cache is neither read nor filled (and such texts batch apart).
   */
  embedWith(key: string, dimension: number, run: BatchRunner, texts: string[], maxPerCall: number, spread = 1, cache = true): Promise<Float32Array[]> {
    const out = new Array<Float32Array>(texts.length);
    const missing: number[] = [];
    texts.forEach((text, i) => {
      const hit = cache && text.length <= MAX_CACHED_TEXT ? this.cache?.get(`${key}\u0000${text}`) : undefined;
      if (hit) out[i] = hit.slice();
      else missing.push(i);
    });
    this.hits += texts.length - missing.length;
    this.misses += missing.length;
    if (missing.length === 0) return Promise.resolve(out);
    return new Promise<Float32Array[]>((resolve, reject) => {
      const req: Request = { out, remaining: missing.length, failed: false, resolve, reject };
      const batchKey = cache ? key : `${key}\u0000uncached`;
      let b = this.batches.get(batchKey);
      if (!b) this.batches.set(batchKey, (b = { dimension, cache, run, maxPerCall, spread, waiting: new Map() }));
      for (const i of missing) {
        const list = b.waiting.get(texts[i]);
        if (list) list.push({ req, i });
        else b.waiting.set(texts[i], [{ req, i }]);
      }
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batches = this.batches;
    this.batches = new Map();
    for (const [batchKey, b] of batches) {
      const key = b.cache ? batchKey : null;
      // Each distinct text once; split so every worker gets a share.
      const distinct = [...b.waiting.keys()];
      const per = Math.min(b.maxPerCall, Math.max(1, Math.ceil(distinct.length / b.spread)));
      for (let s = 0; s < distinct.length; s += per) {
        const texts = distinct.slice(s, s + per);
        b.run(texts).then(
          (vectors: Float32Array) => {
            texts.forEach((t, j) => {
              const v = vectors.slice(j * b.dimension, (j + 1) * b.dimension);
              if (key !== null && t.length <= MAX_CACHED_TEXT) this.cache?.set(`${key}\u0000${t}`, v);
              for (const { req, i } of b.waiting.get(t)!) {
                req.out[i] = v.slice();
                if (--req.remaining === 0 && !req.failed) req.resolve(req.out);
              }
            });
          },
          (e: unknown) => {
            for (const t of texts) {
              for (const { req } of b.waiting.get(t)!) {
                if (!req.failed) req.reject(e);
                req.failed = true;
              }
            }
          },
        );
      }
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
