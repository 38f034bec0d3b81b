/** Worker thread entry: one 2-D projection off the main thread (see projection.ts, project2d.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { projectPca, projectUmap } from './project2d.js';

export interface ProjectionJob {
  method: 'pca' | 'umap';
  data: Float32Array;
  n: number;
  d: number;
  seed: number;
}

try {
  const { method, data, n, d, seed } = workerData as ProjectionJob;
  const out = method === 'pca' ? projectPca(data, n, d, seed) : projectUmap(data, n, d, seed);
  parentPort!.postMessage({ ok: true, ...out }, [out.x.buffer as ArrayBuffer, out.y.buffer as ArrayBuffer]);
} catch (e) {
  parentPort!.postMessage({ ok: false, error: (e as Error).message });
}
