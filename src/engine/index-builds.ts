/**
 * Index builds: a vector index built from the record store and saved as a snapshot file, in a
 * worker thread so that searches and writes on the main thread never wait for it, with a small
 * global limit so rebuilds cannot starve the server. (What a build does: snapshot.ts.)
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CANCELLED, type BuildRequest, type SnapshotMeta } from './snapshot.js';

/**
 * A worker thread running the module `name` that sits beside `moduleUrl` (the caller's
 * import.meta.url). Built, the caller is .js and so is the worker. Run from source through tsx
 * (tests, benchmarks), it is .ts: worker threads do not inherit tsx's loader on Node 20, so a
 * small bootstrap registers it before importing the worker.
 */
export function spawnModuleWorker(moduleUrl: string, name: string, workerData: unknown, transferList: ArrayBuffer[] = []): Worker {
  const ext = extname(fileURLToPath(moduleUrl));
  const url = new URL(`./${name}${ext}`, moduleUrl);
  if (ext !== '.ts') return new Worker(url, { workerData, transferList });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData, transferList });
}

const spawnWorker = (workerData: unknown): Worker => spawnModuleWorker(import.meta.url, 'index-build-worker', workerData);

/** Builds running at once, at most. */
const LIMIT = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<void> {
  if (running < LIMIT) {
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

export interface IndexBuild {
  promise: Promise<SnapshotMeta>;
  /**
   * Ask the worker to stop at its next batch; the promise rejects with `cancelled`. The worker
   * is not terminated: killing a thread inside a native usearch call aborted the whole process
   * (an uncaught Napi::Error during SIGTERM shutdown).
   */
  cancel(): void;
}

export function startIndexBuild(req: BuildRequest): IndexBuild {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  let cancelled = false;
  const promise = (async () => {
    await slot();
    try {
      if (cancelled) throw new Error(CANCELLED);
      const w = spawnWorker({ ...req, stop });
      return await new Promise<SnapshotMeta>((resolve, reject) => {
        w.once('message', (m: { ok: boolean; meta?: SnapshotMeta; error?: string }) =>
          m.ok ? resolve(m.meta!) : reject(new Error(m.error)),
        );
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(cancelled ? CANCELLED : `index build worker exited with code ${code}`)));
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
