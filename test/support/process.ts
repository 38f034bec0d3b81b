/** The real `vectra serve` as its own process (run from source), for restart and kill -9 tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { glove } from './glove.js';
import { MODEL_CACHE } from './server.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const spawned: ChildProcess[] = [];
// A failed assertion must not leave a server running (it would keep the test file alive).
after(() => {
  for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Everything the server has written to stdout so far (its JSON log lines). */
  output(): string;
}

/** Start `vectra serve` on a free port over `dataDir`; resolves once /ready answers 200. */
export async function serveProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  glove();
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--model-cache', MODEL_CACHE, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  spawned.push(proc);
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  let buf = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`server exited before listening: ${buf}`)));
  });
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${url}/ready`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, url, exited, output: () => buf };
}
