/** Worker thread entry: one index build off the main thread (see index-builds.ts, snapshot.ts). */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { buildSnapshot, type BuildRequest } from './snapshot.js';

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

try {
  parentPort!.postMessage({ ok: true, meta: buildSnapshot(workerData as BuildRequest) });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: (e as Error).message });
}
