/** Worker thread entry: one index build off the main thread (see index-builds.ts, snapshot.ts). */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { buildSnapshot, CANCELLED, type BuildRequest, type SnapshotMeta } from './snapshot.js';

/**
 * Builds yield to searches: on Linux a thread's nice value is its own, and the insert threads
 * usearch starts from here inherit it. Measured by `npm run bench:build-threads`.
 */
const BUILD_NICE = 10;
try {
  setPriority(BUILD_NICE);
} catch {
  // not permitted here: build at normal priority
}

const req = workerData as BuildRequest & { adopted: Int32Array };

/**
 * Hand an intermediate snapshot to the collection and wait until it has adopted it (or given
 * up on it): the collection's commit removes every other index file, so the next one is
 * written only afterwards. A raised stop flag ends the wait.
 */
function publish(meta: SnapshotMeta): void {
  const before = Atomics.load(req.adopted, 0);
  parentPort!.postMessage({ progress: meta });
  while (Atomics.load(req.adopted, 0) === before) {
    Atomics.wait(req.adopted, 0, before, 100);
    if (req.stop && Atomics.load(req.stop, 0) !== 0) throw new Error(CANCELLED);
  }
}

try {
  parentPort!.postMessage({ ok: true, meta: buildSnapshot(req, publish) });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: (e as Error).message });
}
