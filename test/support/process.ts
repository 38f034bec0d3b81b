/** The real `vectra serve` as its own process (run from source), for restart and kill -9 tests. */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { glove } from './glove.js';
import { MODEL_CACHE } from './server.js';
import { spawnServer, type ServerProcess } from './spawn-server.js';

export type { ServerProcess };

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const spawned: ChildProcess[] = [];
// A failed assertion must not leave a server running (it would keep the test file alive).
after(() => {
  for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** How long a started server may take to answer /ready 200 before the test fails (ms). */
export const READY_TIMEOUT_MS = 120_000;

/**
 * Start `vectra serve` on a free port over `dataDir`; resolves once /ready answers 200, with
 * `readyMs`, the time from the start to that answer. A server that is not ready within
 * READY_TIMEOUT_MS fails the test, saying so, with its last log lines — it used to be handed to
 * the test unready after ~10 s without a word (issue 18).
 */
export async function serveProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess & { readyMs: number }> {
  glove();
  const started = performance.now();
  const server = await spawnServer({
    cli: CLI,
    nodeArgs: ['--import', 'tsx'],
    dataDir,
    modelCache: MODEL_CACHE,
    args: ['--log-level', 'info'],
    env,
    keepOutput: true,
    onSpawn: (proc) => spawned.push(proc),
  });
  while ((await fetch(`${server.url}/ready`)).status !== 200) {
    if (performance.now() - started > READY_TIMEOUT_MS) {
      const tail = server.output().trim().split('\n').slice(-10).join('\n');
      server.proc.kill('SIGKILL');
      throw new Error(`vectra serve over ${dataDir} was not ready ${READY_TIMEOUT_MS / 1000} s after it started; its last log lines:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return Object.assign(server, { readyMs: performance.now() - started });
}
