/** The real server as its own process (built JS) for benchmarks, and the HTTP calls they share. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rssBytes, spawnServer, type ServerProcess } from '../../test/support/spawn-server.js';
import { ROOT } from './glove-data.js';

export type { ServerProcess };
export { rssBytes };

/**
 * The node flags `npm start` runs the server with in the checkout at `root` (its
 * package.json's start script; README tells those who run `vectra serve` themselves to pass
 * them): benchmarks run it as users do.
 */
export function startFlags(root: string): string[] {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/);
  return start.slice(start.indexOf('node') + 1, start.indexOf('dist/cli/main.js'));
}

/**
 * `vectra serve` on a free port with the repo's model cache; resolves once it listens.
 * It logs one line per request at info, as in production: the pipe is read, only the
 * address is kept. `root` is the checkout whose build runs (another commit's worktree, to
 * compare); `nodeArgs` come after its npm start's flags (a later V8 flag wins); `env` adds
 * to the environment.
 */
export function serveProcess(dataDir: string, extraArgs: string[] = [], nodeArgs: string[] = [], root = ROOT, env: Record<string, string> = {}): Promise<ServerProcess> {
  return spawnServer({ cli: join(root, 'dist/cli/main.js'), nodeArgs: [...startFlags(root), ...nodeArgs], dataDir, modelCache: join(ROOT, '.cache'), args: extraArgs, env: { VECTRA_LOG_LEVEL: 'info', ...env } });
}

/** POST JSON (with an API key when given); a status ≥ 300 throws with the answer. */
export function poster(url: string) {
  return async (path: string, body: unknown, key?: string): Promise<any> => {
    const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
}

/** Resolves once the collection's background indexing has caught up (`unindexed` = 0). */
export async function waitIndexed(url: string, key: string, collection: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${url}/v1/collections/${collection}`, { headers: { authorization: `Bearer ${key}` } });
    if (((await res.json()) as { unindexed: number }).unindexed === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Upsert records 0..n-1 (made by `record(i)`) in batches of `batch`, two requests in flight
 * (one being parsed while the other is stored).
 */
export async function upsertAll(post: ReturnType<typeof poster>, key: string, collection: string, n: number, batch: number, record: (i: number) => unknown): Promise<void> {
  const starts: number[] = [];
  for (let s = 0; s < n; s += batch) starts.push(s);
  const worker = async () => {
    for (let s = starts.shift(); s !== undefined; s = starts.shift()) {
      const records = [];
      for (let i = s; i < Math.min(n, s + batch); i++) records.push(record(i));
      await post(`/v1/collections/${collection}/records`, { records }, key);
    }
  };
  await Promise.all([worker(), worker()]);
}
