/**
 * Real PostgreSQL and Redis servers for the scale-out tests (Debian's packages, installed by
 * .ci/run): each started on loopback on a free port with a temporary data directory, stopped
 * (and the directory removed) when the test process exits. PostgreSQL refuses to run as root:
 * as root, its files belong to the `postgres` user and it runs as that user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

const running: ChildProcess[] = [];
process.on('exit', () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** Signal a server to stop and wait for its exit (nothing to do when it is not running). */
async function stopProcess(p: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill(signal);
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Debian's PostgreSQL binaries (the newest major installed). */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0], 'bin') : null;
}

function asPostgres(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

export interface Postgres {
  url: string;
  port: number;
  dataDir: string;
  /** Stop (fast shutdown: open connections are ended). */
  stop(): Promise<void>;
  /** Start again on the same port and data. */
  start(): Promise<void>;
  /** SIGKILL the postmaster (a crash). */
  kill(): void;
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await ok()) return;
    if (Date.now() > until) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function accepts(port: number): Promise<boolean> {
  const { Socket } = await import('node:net');
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

/** A fresh PostgreSQL cluster on a free loopback port; database `vectra`, user `vectra`, trust auth on loopback only. */
export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install postgresql (.ci/run does)');
  const dir = tempDir('vectra-pg-');
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  mkdirSync(dataDir);
  mkdirSync(socketDir);
  const owner = asPostgres();
  if (owner) {
    for (const d of [dir, dataDir, socketDir]) chownSync(d, owner.uid, owner.gid);
    chmodSync(dir, 0o755);
  }
  const opts = owner ? { uid: owner.uid, gid: owner.gid } : {};
  execFileSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'vectra', '--auth=trust', '-E', 'UTF8', '--locale=C'], { ...opts, stdio: 'ignore' });
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'shared_buffers=32MB'], { ...opts, stdio: 'ignore' });
    running.push(proc);
    await waitFor('PostgreSQL', async () => (await accepts(port)) && (await ready()));
  };
  const ready = async () => {
    try {
      execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  await start();
  execFileSync(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'vectra', 'vectra'], { stdio: 'ignore' });
  return {
    url: `postgres://vectra@127.0.0.1:${port}/vectra`,
    port,
    dataDir,
    start,
    stop: () => stopProcess(proc, 'SIGINT'),
    kill() {
      proc?.kill('SIGKILL');
    },
  };
}

export interface Redis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: the server keeps its connections open and answers nothing (a hung server). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

/** A Redis server on a free loopback port, no persistence. */
export async function startRedis(): Promise<Redis> {
  if (!existsSync('/usr/bin/redis-server')) throw new Error('Redis is not installed: apt-get install redis-server (.ci/run does)');
  const dir = tempDir('vectra-redis-');
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    running.push(proc);
    await waitFor('Redis', () => accepts(port));
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: () => stopProcess(proc, 'SIGTERM'),
    pause() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
  };
}
