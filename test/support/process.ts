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

/** Start `vectra serve` on a free port over `dataDir`; resolves once /ready answers 200. */
export async function serveProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  glove();
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
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${server.url}/ready`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return server;
}
