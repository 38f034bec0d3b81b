/** A real Vectra server on an ephemeral port with a temp data dir, and a small client. */
import { after } from 'node:test';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { REPO_ROOT, glove } from './glove.js';
import { tempDir } from './tmp.js';

export const MODEL_CACHE = join(REPO_ROOT, '.cache');

const running: RunningServer[] = [];
// Registered at module load, so it belongs to the file's root: servers close after all tests.
after(async () => {
  for (const s of running) await s.close();
});

export async function testServer(env: Record<string, string> = {}, dataDir = tempDir()): Promise<RunningServer & { dataDir: string }> {
  glove(); // make sure the converted vectors exist in the shared cache
  const config = loadConfig({ PORT: '0', VECTRA_DATA_DIR: dataDir, VECTRA_MODEL_CACHE: MODEL_CACHE, VECTRA_LOG_LEVEL: 'silent', VECTRA_MODEL_DOWNLOADS: 'off', ...env });
  const server = await startServer(config);
  running.push(server);
  await server.ready;
  return Object.assign(server, { dataDir });
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** fetch with JSON in and out; `key` goes in the Authorization header. */
export async function call<T = any>(base: string, method: string, path: string, opts: { key?: string; body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | Uint8Array | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (metrics, docs)
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** A client bound to one server and key. */
export function client(base: string, key?: string) {
  return (method: string, path: string, body?: unknown, extra: { raw?: string | Uint8Array; headers?: Record<string, string> } = {}) => call(base, method, path, { key, body, ...extra });
}

export async function register(base: string, name = 'acme'): Promise<{ key: string; tenantId: string }> {
  const r = await call(base, 'POST', '/v1/auth/register', { body: { name } });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
  return { key: r.body.apiKey, tenantId: r.body.tenant.id };
}

/** A test server with one registered tenant: its URL, the tenant's key and a client with it. */
export async function testTenant(env: Record<string, string> = {}): Promise<{ url: string; key: string; api: ReturnType<typeof client> }> {
  const url = (await testServer(env)).url;
  const { key } = await register(url);
  return { url, key, api: client(url, key) };
}

/** Assert-friendly: the error envelope's code, or null when the answer is not an error. */
export function errorCode(a: Answer): string | null {
  const e = (a.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || e.message.length === 0) return null;
  return e.code;
}
