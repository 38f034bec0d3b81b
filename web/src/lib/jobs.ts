/** Background jobs (GET /v1/jobs/{id}): followed by polling until they end. */
import type { Client } from './api';
import type { Job } from './types';

export const POLL_MS = 500;
export const FINISHED = new Set(['done', 'failed', 'cancelled']);

/** Poll the job every `pollMs`, handing on each state, until it has finished: resolves with the last. */
export async function followJob(api: Client, id: string, onJob: (job: Job) => void, pollMs = POLL_MS): Promise<Job> {
  for (;;) {
    const j = await api<Job>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
    onJob(j);
    if (FINISHED.has(j.status)) return j;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
