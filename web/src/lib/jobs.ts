/** Background jobs (GET /v1/jobs/{id}): followed by polling until they end. */
import type { Job, Vectra } from '@vectra/client';

export const POLL_MS = 500;
export const FINISHED = new Set(['done', 'failed', 'cancelled']);

/** Poll the job every `pollMs`, handing on each state, until it has finished: resolves with the last. */
export async function followJob(vectra: Vectra, id: string, onJob: (job: Job) => void, pollMs = POLL_MS): Promise<Job> {
  for (;;) {
    const j = await vectra.jobs.get(id);
    onJob(j);
    if (FINISHED.has(j.status)) return j;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
