/** Worker thread entry: one index build off the main thread (see index-builds.ts, snapshot.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { buildSnapshot, type BuildRequest } from './snapshot.js';

try {
  parentPort!.postMessage({ ok: true, meta: buildSnapshot(workerData as BuildRequest) });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: (e as Error).message });
}
