/**
 * Runs snapshot builds in worker threads so that searches and writes on the main thread
 * never wait for them, with a small global limit so rebuilds cannot starve the server.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BuildRequest, SnapshotMeta } from './snapshot.js';

// Built, this module is .js and so is the worker. Run from source through tsx (tests,
// benchmarks), it is .ts: worker threads do not inherit tsx's loader on Node 20, so a
// small bootstrap registers it before importing the worker.
const EXT = extname(fileURLToPath(import.meta.url));
const WORKER_URL = new URL(`./snapshot-worker${EXT}`, import.meta.url);

function spawnWorker(workerData: unknown): Worker {
  if (EXT !== '.ts') return new Worker(WORKER_URL, { workerData });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

let running = 0;
const waiting: (() => void)[] = [];
let limit = 2;

export function setSnapshotConcurrency(n: number): void {
  limit = Math.max(1, n);
}

async function slot(): Promise<void> {
  if (running < limit) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

export interface SnapshotJob {
  promise: Promise<SnapshotMeta>;
  /**
   * Ask the worker to stop at its next batch; the promise rejects with `cancelled`. The worker
   * is not terminated: killing a thread inside a native usearch call aborted the whole process
   * (an uncaught Napi::Error during SIGTERM shutdown).
   */
  cancel(): void;
}

export function startSnapshotJob(req: BuildRequest): SnapshotJob {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  let cancelled = false;
  const promise = (async () => {
    await slot();
    try {
      if (cancelled) throw new Error('cancelled');
      const w = spawnWorker({ ...req, stop });
      return await new Promise<SnapshotMeta>((resolve, reject) => {
        w.once('message', (m: { ok: boolean; meta?: SnapshotMeta; error?: string }) =>
          m.ok ? resolve(m.meta!) : reject(new Error(m.error)),
        );
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(cancelled ? 'cancelled' : `snapshot worker exited with code ${code}`)));
      });
    } finally {
      release();
    }
  })();
  return {
    promise,
    cancel() {
      cancelled = true;
      Atomics.store(stop, 0, 1);
    },
  };
}
