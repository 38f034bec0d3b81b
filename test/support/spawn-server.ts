/**
 * `vectra serve` as a child process on a free port, resolved once it says where it listens:
 * the part the process tests (test/support/process.ts, from source) and the benchmarks
 * (bench/lib/server.ts, the build) share. Nothing test-only here, so a benchmark can load it
 * outside a test run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface SpawnOptions {
  /** The CLI entry: src/cli/main.ts (with `--import tsx` in `nodeArgs`) or the built dist/cli/main.js. */
  cli: string;
  dataDir: string;
  modelCache: string;
  /** More `serve` arguments, after the port, data directory and model cache. */
  args?: string[];
  nodeArgs?: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /**
   * Keep all the server writes to stdout, for `output()`. Otherwise only what comes before it
   * listens: a busy server logs a line a request, and the pipe is still read.
   */
  keepOutput?: boolean;
  /** Called as soon as the child exists, before it listens (a test registers it for cleanup). */
  onSpawn?: (proc: ChildProcess) => void;
}

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** What the server has written to stdout so far (its JSON log lines); see `keepOutput`. */
  output(): string;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

export async function spawnServer(o: SpawnOptions): Promise<ServerProcess> {
  const args = ['serve', '--port', '0', '--data-dir', o.dataDir, '--model-cache', o.modelCache, ...(o.args ?? [])];
  const proc = spawn(process.execPath, [...(o.nodeArgs ?? []), o.cli, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...o.env },
  });
  o.onSpawn?.(proc);
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  let buf = '';
  let listening = false;
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      if (listening && !o.keepOutput) return;
      buf += d.toString();
      if (listening) return;
      const m = /listening on (http:\/\/[^\s"]+)/.exec(buf);
      if (m) {
        listening = true;
        resolve(m[1]);
      }
    });
    void exited.then(({ code }) => reject(new Error(`server exited (${code}) before listening: ${buf}`)));
  });
  return {
    proc,
    url,
    exited,
    output: () => buf,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident memory of a process (VmRSS, Linux) in bytes; NaN when it has none (it exited). */
export function rssBytes(pid: number | 'self'): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}
