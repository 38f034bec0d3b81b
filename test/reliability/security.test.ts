/**
 * Security sweep over every route the app registers (listed from the app itself, so a new
 * route cannot be left out): missing, malformed, unknown, revoked and expired keys; keys
 * without the route's scope; another tenant's names, ids and path tricks (404, never 403,
 * never data); listings, search and /metrics revealing nothing of another tenant; constant-
 * time key comparison; rate limits per key; no key or key hash in logs or error messages.
 *
 * The server runs as its own process (`vectra serve`), so its log output can be read.
 */
import assert from 'node:assert/strict';
import crypto, { createHash, randomBytes } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { before, describe, it } from 'node:test';
import { Accounts } from '../../src/services/accounts.js';
import { serveProcess, type ServerProcess } from '../support/process.js';
import { call, errorCode, register, testServer, type Answer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';
import { FULL } from './scale.js';

type Scope = 'read' | 'write' | 'admin';

/** What A owns, by which the cases address it. */
interface Ids {
  coll: string;
  rec: string;
  /** A record of A's in `coll` whose id is a Qdrant id (a UUID), for the /qdrant routes. */
  point: string;
  docs: string;
  doc: string;
  job: string;
  /** A search recorded in A's `coll`. */
  search: string;
  keyId: string;
  hook: string;
  conv: string;
}

interface Probe {
  path: string;
  body?: unknown;
  /** NDJSON body instead of JSON. */
  ndjson?: string;
  /** multipart/form-data instead of JSON: text fields and a text file in the field "file". */
  form?: { fields: Record<string, string>; file: string };
}

interface Case {
  scope: Scope | 'public';
  /** The request, addressed at A's resources. */
  probe: (x: Ids) => Probe;
  /** The route addresses one tenant's resource by name or id: another tenant gets 404. */
  owned?: boolean;
  /**
   * For an owned route that answers a missing resource without an error, as Qdrant's do for
   * any missing collection (`exists: false`, delete → `false`): that answer, instead of 404.
   */
  absent?: (r: Answer) => boolean;
}

const V4 = [1, 0, 0, 0];

/** Every route of the API. A route the app registers under /v1 that is missing here fails the test. */
const CASES: Record<string, Case> = {
  'POST /v1/auth/register': { scope: 'public', probe: () => ({ path: '/v1/auth/register', body: { name: 'probe' } }) },
  'GET /v1/keys': { scope: 'admin', probe: () => ({ path: '/v1/keys' }) },
  'POST /v1/keys': { scope: 'admin', probe: () => ({ path: '/v1/keys', body: { name: 'probe', scopes: ['read'] } }) },
  'DELETE /v1/keys/:id': { scope: 'admin', owned: true, probe: (x) => ({ path: `/v1/keys/${x.keyId}` }) },
  'POST /v1/collections': { scope: 'write', probe: () => ({ path: '/v1/collections', body: { name: 'probe', model: 'none', dimension: 4 } }) },
  'GET /v1/collections': { scope: 'read', probe: () => ({ path: '/v1/collections' }) },
  'GET /v1/collections/:name': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}` }) },
  'DELETE /v1/collections/:name': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}` }) },
  'POST /v1/collections/:name/records': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/records`, body: { records: [{ id: x.rec, vector: V4, metadata: { owner: 'mallory' } }] } }) },
  'GET /v1/collections/:name/records': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/records?includeVector=true` }) },
  'GET /v1/collections/:name/records/:id': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/records/${x.rec}` }) },
  'DELETE /v1/collections/:name/records/:id': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/records/${x.rec}` }) },
  'POST /v1/collections/:name/records/delete': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/records/delete`, body: { ids: [x.rec] } }) },
  'POST /v1/collections/:name/records/stream': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/records/stream`, ndjson: `${JSON.stringify({ id: x.rec, vector: V4 })}\n` }) },
  'POST /v1/collections/:name/imports': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/imports`, ndjson: `${JSON.stringify({ id: x.rec, vector: V4 })}\n` }) },
  'POST /v1/collections/:name/documents': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.docs}/documents`, body: { id: x.doc, text: 'overwritten by mallory' } }) },
  'POST /v1/collections/:name/documents/upload': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.docs}/documents/upload`, form: { fields: { id: x.doc }, file: 'overwritten by mallory' } }) },
  'GET /v1/collections/:name/documents/:id': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.docs}/documents/${x.doc}` }) },
  'DELETE /v1/collections/:name/documents/:id': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.docs}/documents/${x.doc}` }) },
  'POST /v1/collections/:name/search': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/search`, body: { vector: V4, k: 10, includeVector: true } }) },
  'POST /v1/collections/:name/feedback': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/feedback`, body: { vector: V4, id: x.rec, signal: 'bookmark', user: 'mallory' } }) },
  'POST /v1/collections/:name/clusters': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/clusters`, body: { k: 2 } }) },
  'GET /v1/collections/:name/health': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/health` }) },
  'POST /v1/collections/:name/drift': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/drift`, body: { baseline: { toSeq: 1 }, window: { fromSeq: 2 } } }) },
  'PUT /v1/collections/:name/recording': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/recording`, body: { enabled: false } }) },
  'GET /v1/collections/:name/recording': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/recording` }) },
  'GET /v1/collections/:name/searches': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/searches?vectors=true` }) },
  'DELETE /v1/collections/:name/searches': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/searches` }) },
  'POST /v1/collections/:name/searches/:id/replay': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/searches/${x.search}/replay`, body: {} }) },
  'GET /v1/collections/:name/projection': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/projection?sample=3` }) },
  'GET /v1/collections/:name/advice': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/advice` }) },
  'GET /v1/jobs': { scope: 'read', probe: () => ({ path: '/v1/jobs' }) },
  'GET /v1/jobs/:id': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/jobs/${x.job}` }) },
  'POST /v1/jobs/:id/cancel': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/jobs/${x.job}/cancel` }) },
  'GET /v1/models': { scope: 'read', probe: () => ({ path: '/v1/models' }) },
  'GET /v1/stats': { scope: 'read', probe: () => ({ path: '/v1/stats' }) },
  'GET /v1/collections/:name/changes': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/changes?since=0&include=record` }) },
  'GET /v1/collections/:name/changes/stream': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/collections/${x.coll}/changes/stream?since=0&include=record` }) },
  'GET /v1/events/stats': { scope: 'read', probe: () => ({ path: '/v1/events/stats' }) },
  'POST /v1/webhooks': { scope: 'write', probe: () => ({ path: '/v1/webhooks', body: { url: 'http://93.184.216.34/mallory', events: ['record.*'] } }) },
  'GET /v1/webhooks': { scope: 'read', probe: () => ({ path: '/v1/webhooks' }) },
  'GET /v1/webhooks/:id': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/webhooks/${x.hook}` }) },
  'PATCH /v1/webhooks/:id': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/webhooks/${x.hook}`, body: { url: 'http://93.184.216.34/mallory', description: 'mallory' } }) },
  'DELETE /v1/webhooks/:id': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/webhooks/${x.hook}` }) },
  'GET /v1/webhooks/:id/deliveries': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/webhooks/${x.hook}/deliveries` }) },
  'POST /v1/webhooks/:id/test': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/webhooks/${x.hook}/test` }) },
  'GET /v1/llms': { scope: 'read', probe: () => ({ path: '/v1/llms' }) },
  'POST /v1/chat': { scope: 'read', owned: true, probe: (x) => ({ path: '/v1/chat', body: { collection: x.docs, messages: [{ role: 'user', content: 'When does the vault open?' }] } }) },
  'POST /v1/chat/completions': { scope: 'read', owned: true, probe: (x) => ({ path: '/v1/chat/completions', body: { model: `rag:${x.docs}`, messages: [{ role: 'user', content: 'When does the vault open?' }] } }) },
  'GET /v1/conversations': { scope: 'read', probe: () => ({ path: '/v1/conversations' }) },
  'GET /v1/conversations/:id': { scope: 'read', owned: true, probe: (x) => ({ path: `/v1/conversations/${x.conv}` }) },
  'DELETE /v1/conversations/:id': { scope: 'write', owned: true, probe: (x) => ({ path: `/v1/conversations/${x.conv}` }) },
  // Authenticated per connection and per action (test/e2e/websocket.test.ts); a plain GET is a 426.
  'GET /v1/ws': { scope: 'public', probe: () => ({ path: '/v1/ws' }) },
  // Only ever sent here with keys that lack the scope: a real run keeps the cores busy.
  'POST /v1/models/benchmark': { scope: 'admin', probe: () => ({ path: '/v1/models/benchmark', body: { queries: 1 } }) },
  'POST /v1/embed': { scope: 'read', probe: () => ({ path: '/v1/embed', body: { texts: ['hello'] } }) },
  'POST /v1/embeddings': { scope: 'read', probe: () => ({ path: '/v1/embeddings', body: { input: 'hello', model: 'glove-100d-v2' } }) },
  ...QDRANT_CASES(),
};

/**
 * The Qdrant-compatible subset (src/api/qdrant/): Qdrant's routes under /qdrant, keys in its
 * `api-key` header too (the probes send Bearer, like every case; the key forms are checked below).
 */
function QDRANT_CASES(): Record<string, Case> {
  const q = '/qdrant/collections';
  const filter = { must: [{ key: 'owner', match: { value: 'alpha' } }] };
  const qcase = (scope: Scope, probe: (x: Ids) => Probe, extra: Partial<Case> = {}): Case => ({ scope, owned: true, probe, ...extra });
  return {
    'GET /qdrant': { scope: 'public', probe: () => ({ path: '/qdrant' }) },
    'GET /qdrant/healthz': { scope: 'public', probe: () => ({ path: '/qdrant/healthz' }) },
    'GET /qdrant/livez': { scope: 'public', probe: () => ({ path: '/qdrant/livez' }) },
    'GET /qdrant/readyz': { scope: 'public', probe: () => ({ path: '/qdrant/readyz' }) },
    'GET /qdrant/collections': { scope: 'read', probe: () => ({ path: q }) },
    'GET /qdrant/collections/:name': qcase('read', (x) => ({ path: `${q}/${x.coll}` })),
    // A name in the path, but a create makes the caller's own collection: not another's to find.
    'PUT /qdrant/collections/:name': { scope: 'write', probe: () => ({ path: `${q}/probe`, body: { vectors: { size: 4, distance: 'Cosine' } } }) },
    'DELETE /qdrant/collections/:name': qcase('write', (x) => ({ path: `${q}/${x.coll}` }), { absent: (r) => r.status === 200 && r.body.result === false }),
    'GET /qdrant/collections/:name/exists': qcase('read', (x) => ({ path: `${q}/${x.coll}/exists` }), { absent: (r) => r.status === 200 && r.body.result?.exists === false }),
    'PUT /qdrant/collections/:name/index': qcase('write', (x) => ({ path: `${q}/${x.coll}/index`, body: { field_name: 'owner', field_schema: 'keyword' } })),
    'DELETE /qdrant/collections/:name/index/:field': qcase('write', (x) => ({ path: `${q}/${x.coll}/index/owner` })),
    'PUT /qdrant/collections/:name/points': qcase('write', (x) => ({ path: `${q}/${x.coll}/points`, body: { points: [{ id: x.point, vector: V4, payload: { owner: 'mallory' } }] } })),
    'POST /qdrant/collections/:name/points': qcase('read', (x) => ({ path: `${q}/${x.coll}/points`, body: { ids: [x.point], with_vector: true } })),
    'GET /qdrant/collections/:name/points/:id': qcase('read', (x) => ({ path: `${q}/${x.coll}/points/${x.point}` })),
    'POST /qdrant/collections/:name/points/delete': qcase('write', (x) => ({ path: `${q}/${x.coll}/points/delete`, body: { filter } })),
    'POST /qdrant/collections/:name/points/payload': qcase('write', (x) => ({ path: `${q}/${x.coll}/points/payload`, body: { points: [x.point], payload: { owner: 'mallory' } } })),
    'PUT /qdrant/collections/:name/points/payload': qcase('write', (x) => ({ path: `${q}/${x.coll}/points/payload`, body: { filter, payload: { owner: 'mallory' } } })),
    'POST /qdrant/collections/:name/points/payload/delete': qcase('write', (x) => ({ path: `${q}/${x.coll}/points/payload/delete`, body: { points: [x.point], keys: ['owner'] } })),
    'POST /qdrant/collections/:name/points/payload/clear': qcase('write', (x) => ({ path: `${q}/${x.coll}/points/payload/clear`, body: { filter } })),
    'PUT /qdrant/collections/:name/points/vectors': qcase('write', (x) => ({ path: `${q}/${x.coll}/points/vectors`, body: { points: [{ id: x.point, vector: [0, 0, 0, 1] }] } })),
    'POST /qdrant/collections/:name/points/batch': qcase('write', (x) => ({ path: `${q}/${x.coll}/points/batch`, body: { operations: [{ delete: { points: [x.point] } }] } })),
    'POST /qdrant/collections/:name/points/scroll': qcase('read', (x) => ({ path: `${q}/${x.coll}/points/scroll`, body: { limit: 100, with_vector: true } })),
    'POST /qdrant/collections/:name/points/count': qcase('read', (x) => ({ path: `${q}/${x.coll}/points/count`, body: { filter } })),
    'POST /qdrant/collections/:name/points/search': qcase('read', (x) => ({ path: `${q}/${x.coll}/points/search`, body: { vector: V4, limit: 10, with_payload: true, with_vector: true } })),
    'POST /qdrant/collections/:name/points/search/batch': qcase('read', (x) => ({ path: `${q}/${x.coll}/points/search/batch`, body: { searches: [{ vector: V4, limit: 10, with_payload: true }] } })),
    'POST /qdrant/collections/:name/points/query': qcase('read', (x) => ({ path: `${q}/${x.coll}/points/query`, body: { query: V4, limit: 10, with_payload: true, filter } })),
    'POST /qdrant/collections/:name/points/query/batch': qcase('read', (x) => ({ path: `${q}/${x.coll}/points/query/batch`, body: { searches: [{ query: x.point, with_payload: true }] } })),
  };
}

/** The answer's error code: Vectra's envelope, or under /qdrant Qdrant's with Vectra's code in a header. */
function codeOf(r: Answer): string | null {
  const qdrant = (r.body as { status?: { error?: unknown } } | null)?.status?.error;
  if (typeof qdrant === 'string' && qdrant.length > 0) return r.headers.get('x-vectra-error-code');
  return errorCode(r);
}

/** Public routes outside /v1 (operations, API docs, the dashboard's files): they need no key. */
const PUBLIC_OUTSIDE_V1 = /^\/(health|ready|metrics|openapi\.json|docs.*|index\.html|favicon\.svg|assets\/.+|)$/;

let listed: Promise<string[]> | null = null;
/** "METHOD /pattern" of every route the app registers, from Fastify's own route tree. */
function registeredRoutes(): Promise<string[]> {
  listed ??= listRoutes();
  return listed;
}

async function listRoutes(): Promise<string[]> {
  const s = await testServer({ VECTRA_RATE_LIMIT: '100000' });
  const tree = s.app.printRoutes({ commonPrefix: false });
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)[└├]── (.+?) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    const path = (depth === 0 ? '' : stack[depth - 1]) + m[2];
    stack[depth] = path;
    for (const method of m[3].split(', ')) out.push(`${method} ${path}`);
  }
  return out;
}

let s: ServerProcess;
let x: Ids;
let tenantA: string;
let tenantB: string;
let keyA: string;
let keyB: string;
/** Keys of A by scope set ("read", "read+write", …), revoked and expired ones. */
const keys: Record<string, string> = {};
/** Every full key created in this test, for the secrets check. */
const allKeys: string[] = [];
/** Every answer's body text, with the request that got it (for the secrets check). */
const answers: { req: string; status: number; text: string }[] = [];

async function send(method: string, p: Probe, headers: Record<string, string> = {}): Promise<Answer & { text: string }> {
  const h = { ...headers };
  let body: string | FormData | undefined;
  if (p.form !== undefined) {
    body = new FormData();
    for (const [k, v] of Object.entries(p.form.fields)) body.append(k, v);
    body.append('file', new Blob([p.form.file], { type: 'text/plain' }), 'probe.txt');
  } else if (p.ndjson !== undefined) {
    body = p.ndjson;
    h['content-type'] = 'application/x-ndjson';
  } else if (p.body !== undefined) {
    body = JSON.stringify(p.body);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(s.url + p.path, { method, headers: h, body });
  const text = await res.text();
  answers.push({ req: `${method} ${p.path} ${p.form ? JSON.stringify(p.form) : (body ?? '')}`, status: res.status, text });
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const asA = (method: string, p: Probe) => send(method, p, bearer(keyA));

/** A's state as A sees it: collections with counts, records with vectors, document, keys, jobs, webhooks. */
async function snapshotOfA(): Promise<string> {
  const parts = await Promise.all([
    asA('GET', { path: '/v1/collections' }),
    asA('GET', { path: `/v1/collections/${x.coll}/records?includeVector=true` }),
    asA('GET', { path: `/v1/collections/shared/records?includeVector=true` }),
    asA('GET', { path: `/v1/collections/${x.docs}/documents/${x.doc}` }),
    asA('GET', { path: '/v1/jobs' }),
    asA('GET', { path: '/v1/webhooks' }),
    asA('GET', { path: '/v1/conversations' }),
    asA('GET', { path: `/v1/collections/${x.coll}/recording` }),
    asA('GET', { path: `/v1/collections/${x.coll}/searches?vectors=true` }),
  ]);
  const keyList = (await asA('GET', { path: '/v1/keys' })).body.keys.map((k: { id: string; scopes: string[]; revokedAt: unknown }) => [k.id, k.scopes, k.revokedAt]);
  const colls = parts[0].body.collections.map((c: { name: string }) => c.name).sort();
  return JSON.stringify([colls, parts.slice(1).map((p) => [p.status, p.body]), keyList]);
}

async function waitForJob(id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const j = await asA('GET', { path: `/v1/jobs/${id}` });
    if (['done', 'failed', 'cancelled'].includes(j.body.status)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

/** Strings only A's data contains: none may reach B unless B itself sent it. */
let secretsOfA: string[] = [];

function assertNoLeak(what: string, a: { text: string }, request: string): void {
  for (const secret of secretsOfA) {
    // A UUID is one id in any case (Qdrant's ids): the caller's own, echoed in canonical form, is not a leak.
    const sent = request.includes(secret) || (/^[0-9a-f-]{36}$/.test(secret) && request.toLowerCase().includes(secret));
    if (a.text.includes(secret) && !sent) assert.fail(`${what}: the answer reveals A's ${JSON.stringify(secret)}: ${a.text.slice(0, 300)}`);
  }
}

before(async () => {
  s = await serveProcess(tempDir(), { VECTRA_RATE_LIMIT: '1000000' });
  const a = await register(s.url, 'tenant-alpha-7f3e');
  const b = await register(s.url, 'tenant-bravo-91c2');
  [tenantA, tenantB, keyA, keyB] = [a.tenantId, b.tenantId, a.key, b.key];
  allKeys.push(keyA, keyB);
  x = { coll: 'alpha-vault', rec: 'alpha-rec-1', point: '0a1fa000-7f3e-4c2d-9b8a-0000a1fa0001', docs: 'alpha-docs', doc: 'alpha-manual', job: '', search: '', keyId: '', hook: '', conv: '' };
  const ok = (r: Answer, status = 200) => assert.equal(r.status, status, JSON.stringify(r.body));
  ok(await asA('POST', { path: '/v1/collections', body: { name: x.coll, model: 'none', dimension: 4 } }), 201);
  ok(await asA('POST', { path: '/v1/collections', body: { name: 'shared', model: 'none', dimension: 4 } }), 201);
  ok(await asA('POST', { path: '/v1/collections', body: { name: x.docs } }), 201);
  const records = [
    { id: x.rec, vector: [1, 0, 0, 0], metadata: { owner: 'alpha', code: 'launch-code-7731' } },
    { id: 'alpha-rec-2', vector: [0, 1, 0, 0], metadata: { owner: 'alpha', code: 'launch-code-7731' } },
  ];
  ok(await asA('POST', { path: `/v1/collections/${x.coll}/records`, body: { records } }));
  // A point of A's with a Qdrant id, written through /qdrant.
  ok(await send('PUT', { path: `/qdrant/collections/${x.coll}/points`, body: { points: [{ id: x.point, vector: [0, 0, 0, 1], payload: { owner: 'alpha', code: 'launch-code-7731' } }] } }, { 'api-key': keyA }));
  ok(await asA('POST', { path: '/v1/collections/shared/records', body: { records } }));
  // A recorded search of A's (the answer holds A's ids).
  ok(await asA('PUT', { path: `/v1/collections/${x.coll}/recording`, body: { enabled: true } }));
  ok(await asA('POST', { path: `/v1/collections/${x.coll}/search`, body: { vector: [1, 0, 0, 0], k: 2, filter: { code: 'launch-code-7731' } } }));
  x.search = (await asA('GET', { path: `/v1/collections/${x.coll}/searches` })).body.searches[0].id;
  ok(await asA('POST', { path: `/v1/collections/${x.docs}/documents`, body: { id: x.doc, text: 'The vault opens at dawn. Only alpha staff may enter.', metadata: { owner: 'alpha' } } }));
  const job = await asA('POST', { path: `/v1/collections/${x.coll}/imports`, ndjson: `${JSON.stringify({ id: 'alpha-imported', vector: [0, 0, 1, 0], metadata: { code: 'launch-code-7731' } })}\n` });
  ok(job, 202);
  x.job = job.body.id;
  await waitForJob(x.job);
  // A webhook of A's (a public address literal: no DNS needed; only collection events, none come).
  const hook = await asA('POST', { path: '/v1/webhooks', body: { url: 'http://93.184.216.34/alpha-hook-5d1c', events: ['collection.deleted'], description: 'alpha webhook' } });
  ok(hook, 201);
  x.hook = hook.body.id;
  // A conversation of A's, grounded on A's document.
  const conv = await asA('POST', { path: '/v1/chat', body: { collection: x.docs, messages: [{ role: 'user', content: 'When does the vault open?' }] } });
  ok(conv);
  x.conv = conv.body.conversationId;
  // B has a collection of the same name as one of A's: ids in it must still not reach A's.
  ok(await send('POST', { path: '/v1/collections', body: { name: 'shared', model: 'none', dimension: 4 } }, bearer(keyB)), 201);
  ok(await send('POST', { path: '/v1/collections', body: { name: 'alpha-docs-b' } }, bearer(keyB)), 201);

  const scopeSets: Scope[][] = [['read'], ['write'], ['admin'], ['read', 'write'], ['read', 'admin'], ['write', 'admin']];
  for (const scopes of scopeSets) {
    const made = await asA('POST', { path: '/v1/keys', body: { name: scopes.join('+'), scopes } });
    ok(made, 201);
    keys[scopes.join('+')] = made.body.apiKey;
    allKeys.push(made.body.apiKey);
  }
  const extra = await asA('POST', { path: '/v1/keys', body: { name: 'extra', scopes: ['read'] } });
  x.keyId = extra.body.id;
  allKeys.push(extra.body.apiKey);
  const revoked = await asA('POST', { path: '/v1/keys', body: { name: 'revoked', scopes: ['read', 'write', 'admin'] } });
  ok(await asA('DELETE', { path: `/v1/keys/${revoked.body.id}` }), 204);
  keys.revoked = revoked.body.apiKey;
  const expiring = await asA('POST', { path: '/v1/keys', body: { name: 'expiring', scopes: ['read', 'write', 'admin'], expiresAt: new Date(Date.now() + 1500).toISOString() } });
  ok(expiring, 201);
  keys.expired = expiring.body.apiKey;
  allKeys.push(revoked.body.apiKey, expiring.body.apiKey);
  await new Promise((r) => setTimeout(r, 1600));

  const keyListA = (await asA('GET', { path: '/v1/keys' })).body.keys as { id: string; prefix: string }[];
  secretsOfA = [tenantA, 'tenant-alpha-7f3e', 'launch-code-7731', 'vault opens', 'alpha-rec-2', 'alpha-imported', x.point, x.job, x.hook, 'alpha-hook-5d1c', x.conv, hook.body.secret, ...keyListA.flatMap((k) => [k.id, k.prefix])];
});

describe('every route is covered', () => {
  it('the case table lists exactly the /v1 routes the app registers; the rest are public', async () => {
    const routes = (await registeredRoutes()).filter((r) => !r.startsWith('HEAD '));
    const v1 = routes.filter((r) => /^\/(v1|qdrant)(\/|$)/.test(r.split(' ')[1]));
    assert.deepEqual([...v1].sort(), Object.keys(CASES).sort(), 'a /v1 or /qdrant route without a security case (add it to CASES), or a case for a route that is gone');
    const others = routes.filter((r) => !v1.includes(r));
    for (const r of others) assert.match(r.split(' ')[1], PUBLIC_OUTSIDE_V1, `${r}: a route outside /v1 that is not a known public one`);
    assert.ok(others.length >= 6, `found the public routes: ${others.join(', ')}`);
    const qdrant = v1.filter((r) => r.includes(' /qdrant')).length;
    process.stdout.write(`# security: ${v1.length - qdrant} /v1 and ${qdrant} /qdrant routes in the case table, ${others.length} public routes outside them\n`);
  });

  it('public routes answer without a key; all others need one', async () => {
    const routes = (await registeredRoutes()).filter((r) => !r.startsWith('HEAD ') && !r.split(' ')[1].startsWith('/v1') && (!r.split(' ')[1].startsWith('/qdrant') || CASES[r]?.scope === 'public'));
    for (const r of routes) {
      const [method, pattern] = r.split(' ');
      const res = await send(method, { path: pattern.replace('*', '') });
      assert.ok(res.status < 400, `${r} (public) answered ${res.status} without a key`);
    }
    const reg = await send('POST', CASES['POST /v1/auth/register'].probe(x));
    assert.equal(reg.status, 201, 'registration is open on loopback');
    allKeys.push((reg.body as { apiKey: string }).apiKey);
  });
});

describe('keys: missing, malformed, unknown, revoked, expired, lacking the scope', () => {
  const scoped = Object.entries(CASES).filter(([, c]) => c.scope !== 'public');
  it(`every scoped route (${scoped.length}) refuses them with the right code`, async () => {
    const realPrefix = () => keyA.slice(0, 12);
    const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    const randomRest = (n: number) => Array.from(randomBytes(n), (b) => base62[b % 62]).join('');
    const malformed: Record<string, string>[] = [
      { authorization: 'Bearer' },
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: `Token ${keyA}` },
      { authorization: keyA },
      { authorization: `Bearer ${keyA} extra` },
      { authorization: `Bearer ${keyA}x` },
      { authorization: `Bearer ${keyA.slice(0, -1)}` },
      { authorization: 'Bearer vk_short' },
      { authorization: `Bearer ${keyA.replace('vk_', 'VK_')}` },
      { authorization: `Bearer ${keyA.slice(0, 20)}%${keyA.slice(21)}` },
      { 'x-api-key': 'not-a-key' },
    ];
    const unknown = [`vk_${randomRest(43)}`, realPrefix() + randomRest(34)];
    // Qdrant's header, where the /qdrant routes read it.
    const qdrantMalformed: Record<string, string>[] = [{ 'api-key': 'not-a-key' }, { 'api-key': `${keyA}x` }, { 'api-key': `vk_${randomRest(43)}` }];
    let checked = 0;
    for (const [route, c] of scoped) {
      const [method] = route.split(' ');
      const p = c.probe(x);
      const expect = async (headers: Record<string, string>, status: number, code: string, why: string) => {
        const r = await send(method, p, headers);
        assert.equal(r.status, status, `${route} with ${why}: ${r.text.slice(0, 200)}`);
        assert.equal(codeOf(r), code, `${route} with ${why}`);
        checked++;
      };
      await expect({}, 401, 'MISSING_API_KEY', 'no key');
      if (method === 'GET') {
        const head = await fetch(s.url + p.path, { method: 'HEAD' });
        assert.equal(head.status, 401, `HEAD ${route} without a key`);
      }
      for (const h of malformed) await expect(h, 401, 'INVALID_API_KEY', `malformed ${JSON.stringify(Object.keys(h))}`);
      for (const k of unknown) await expect(bearer(k), 401, 'INVALID_API_KEY', 'an unknown key');
      await expect(bearer(keys.revoked), 401, 'API_KEY_REVOKED', 'a revoked key');
      await expect({ 'x-api-key': keys.revoked }, 401, 'API_KEY_REVOKED', 'a revoked key in X-API-Key');
      await expect(bearer(keys.expired), 401, 'API_KEY_EXPIRED', 'an expired key');
      if (route.includes(' /qdrant')) {
        for (const h of qdrantMalformed) await expect(h, 401, 'INVALID_API_KEY', 'a bad key in api-key');
        await expect({ 'api-key': keys.revoked }, 401, 'API_KEY_REVOKED', 'a revoked key in api-key');
        await expect({ 'api-key': keys.expired }, 401, 'API_KEY_EXPIRED', 'an expired key in api-key');
        for (const [set, key] of Object.entries(keys)) {
          if (set === 'revoked' || set === 'expired' || set.split('+').includes(c.scope)) continue;
          await expect({ 'api-key': key }, 403, 'INSUFFICIENT_SCOPE', `a key with only ${set} in api-key`);
        }
      } else {
        // Qdrant's header means nothing to Vectra's own routes.
        await expect({ 'api-key': keyA }, 401, 'MISSING_API_KEY', 'a key in api-key, off /qdrant');
      }
      for (const [set, key] of Object.entries(keys)) {
        if (set === 'revoked' || set === 'expired' || set.split('+').includes(c.scope)) continue;
        await expect(bearer(key), 403, 'INSUFFICIENT_SCOPE', `a key with only ${set}`);
      }
    }
    process.stdout.write(`# security: ${checked} refused requests over ${scoped.length} scoped routes, each with the expected code\n`);
  });

  it('nothing those refused requests carried was applied', async () => {
    // Refusals happen before the body is read; A's state is what setup made.
    const snap = JSON.parse(await snapshotOfA());
    assert.deepEqual(snap[0], ['alpha-docs', x.coll, 'shared'].sort());
    assert.equal(snap[1][0][1].records.length, 4);
    assert.ok(!JSON.stringify(snap).includes('mallory'));
  });

  it('scope escalation: a key cannot create a key with scopes it does not have', async () => {
    const adminOnly = keys.admin;
    const r = await send('POST', { path: '/v1/keys', body: { name: 'escalate', scopes: ['read', 'write', 'admin'] } }, bearer(adminOnly));
    assert.equal(r.status, 403, r.text);
    assert.equal(codeOf(r), 'INSUFFICIENT_SCOPE');
    const same = await send('POST', { path: '/v1/keys', body: { name: 'same', scopes: ['admin'] } }, bearer(keys['read+admin']));
    assert.equal(same.status, 201, same.text);
    allKeys.push((same.body as { apiKey: string }).apiKey);
    for (const scopes of [['write'], ['read', 'write', 'admin']]) {
      const esc = await send('POST', { path: '/v1/keys', body: { name: 'escalate', scopes } }, bearer(keys['read+admin']));
      assert.equal(esc.status, 403, `read+admin key minting ${scopes}: ${esc.text}`);
    }
  });
});

describe('cross-tenant: B gets 404 for all of A, sees nothing of A, changes nothing of A', () => {
  const nameTricks = (name: string) => [
    name.toUpperCase(),
    name[0].toUpperCase() + name.slice(1),
    `..%2F${name}`,
    `..%2F${tenantA}%2F${name}`,
    `..%2F..%2Ftenants%2F${tenantA}%2F${name}`,
    `%2e%2e%2F${name}`,
    `%2E%2E%2F%2E%2E%2F${name}`,
    `${name}%2F`,
    `${name}%2F..`,
    `${name}%00`,
    `${name}%20`,
    `..%5C${name}`,
    `%252e%252e%252f${name}`,
    `%D0%B0${name.slice(1)}`, // Cyrillic а
    `${name.replace('-', '%E2%80%90')}`, // U+2010 hyphen
    `${name.replace('a', '%EF%BD%81')}`, // fullwidth ａ
    tenantA,
    `${tenantA}%2F${name}`,
  ];
  const idTricks = (id: string) => [id.toUpperCase(), `${id}%00`, `..%2F${id}`, `%2e%2e%2F%2e%2e%2F${id}`, `..%2F..%2F${tenantA}%2F${x.coll}%2F${id}`, '%2e%2e%2F%2e%2e%2Fsystem.db', `${id}%20`];
  const allowedCodes = new Set(['COLLECTION_NOT_FOUND', 'RECORD_NOT_FOUND', 'JOB_NOT_FOUND', 'KEY_NOT_FOUND', 'WEBHOOK_NOT_FOUND', 'CONVERSATION_NOT_FOUND', 'SEARCH_NOT_FOUND']);

  it('every owned route, with A’s names and ids and path tricks on them → 404 or 400, never 403, never A’s data', async () => {
    const before = await snapshotOfA();
    const asB = (method: string, p: Probe) => send(method, p, bearer(keyB));
    let probes = 0;
    for (const [route, c] of Object.entries(CASES)) {
      if (!c.owned) continue;
      const [method] = route.split(' ');
      const variants: Ids[] = [x];
      if (route.includes(':name')) for (const n of nameTricks(x.coll)) variants.push({ ...x, coll: n, docs: n.replace(x.coll, x.docs) });
      if (route.includes(':name/records/:id') || route.includes(':name/documents/:id') || route.includes(':name/points/:id')) {
        // In B's own collection of the same name as A's: A's ids are not there.
        variants.push({ ...x, coll: 'shared', docs: 'alpha-docs-b' });
        for (const id of [...idTricks(x.rec), ...idTricks(x.point)]) variants.push({ ...x, coll: 'shared', docs: 'alpha-docs-b', rec: id, doc: id.replace(x.rec, x.doc), point: id });
      }
      if (route.includes(':name/searches/:id')) {
        // B's own collection of the same name as A's: A's recorded search is not there.
        for (const id of [x.search, ...idTricks(x.search)]) variants.push({ ...x, coll: 'shared', search: id });
      }
      if (route.includes('/v1/jobs/:id') || route.includes('/v1/keys/:id') || route.includes('/v1/webhooks/:id') || route.includes('/v1/conversations/:id')) {
        const own = route.includes('jobs') ? x.job : route.includes('keys') ? x.keyId : route.includes('webhooks') ? x.hook : x.conv;
        for (const id of idTricks(own)) variants.push({ ...x, job: id, keyId: id, hook: id, conv: id });
      }
      for (const v of variants) {
        const p = c.probe(v);
        const r = await asB(method, p);
        probes++;
        const code = codeOf(r);
        assert.notEqual(r.status, 403, `${method} ${p.path}: 403 would reveal that it exists`);
        const absent = c.absent?.(r) ?? false;
        assert.ok(absent || r.status === 404 || (r.status === 400 && v !== x), `${method} ${p.path} as B answered ${r.status}: ${r.text.slice(0, 200)}`);
        if (r.status === 404) assert.ok(code !== null && allowedCodes.has(code), `${method} ${p.path}: ${code}`);
        assertNoLeak(`${method} ${p.path}`, r, p.path + JSON.stringify(p.body ?? '') + (p.ndjson ?? '') + JSON.stringify(p.form ?? ''));
      }
    }
    assert.equal(await snapshotOfA(), before, "A's collections, records, document, keys and jobs are unchanged");
    process.stdout.write(`# security: ${probes} cross-tenant probes (A's names and ids, ${nameTricks('x').length} name tricks, ${idTricks('x').length} id tricks): all 404/400, none 403, no data\n`);
  });

  it("listing, counting and searching in B show nothing of A; B's writes stay in B", async () => {
    const asB = (method: string, p: Probe) => send(method, p, bearer(keyB));
    const before = await snapshotOfA();
    const probes: [string, Probe][] = [
      ['GET', { path: '/v1/collections' }],
      ['GET', { path: '/v1/collections/shared' }],
      ['GET', { path: '/v1/collections/shared/records?includeVector=true' }],
      ['GET', { path: `/v1/collections/shared/records?filter=${encodeURIComponent(JSON.stringify({ owner: 'alpha' }))}` }],
      ['POST', { path: '/v1/collections/shared/search', body: { vector: V4, k: 100, exact: true } }],
      ['POST', { path: '/v1/collections/shared/search', body: { vector: V4, k: 100, filter: { code: 'launch-code-7731' } } }],
      ['POST', { path: '/v1/collections/alpha-docs-b/search', body: { text: 'vault opens at dawn', mode: 'hybrid', k: 10 } }],
      ['POST', { path: '/v1/collections/alpha-docs-b/search', body: { text: 'vault dawn alpha staff', mode: 'keyword', k: 10 } }],
      ['POST', { path: '/v1/collections/shared/records/delete', body: { filter: { owner: 'alpha' } } }],
      ['GET', { path: '/v1/keys' }],
      ['GET', { path: '/v1/jobs' }],
      ['GET', { path: '/v1/stats' }],
      ['GET', { path: '/v1/webhooks' }],
      ['GET', { path: '/v1/conversations' }],
      ['POST', { path: '/v1/chat', body: { collection: 'alpha-docs-b', messages: [{ role: 'user', content: 'When does the vault open at dawn?' }] } }],
      ['GET', { path: '/v1/events/stats' }],
      ['GET', { path: '/v1/collections/shared/changes?since=0&include=record' }],
      ['GET', { path: '/qdrant/collections' }],
      ['GET', { path: '/qdrant/collections/shared' }],
      ['POST', { path: '/qdrant/collections/shared/points/scroll', body: { limit: 100, with_vector: true } }],
      ['POST', { path: '/qdrant/collections/shared/points', body: { ids: [x.point], with_vector: true } }],
      ['POST', { path: '/qdrant/collections/shared/points/count', body: { filter: { must: [{ key: 'owner', match: { value: 'alpha' } }] } } }],
      ['POST', { path: '/qdrant/collections/shared/points/query', body: { query: V4, limit: 100, with_payload: true, params: { exact: true } } }],
      ['POST', { path: '/qdrant/collections/shared/points/search', body: { vector: V4, limit: 100, with_payload: true, filter: { must: [{ has_id: [x.point] }] } } }],
      ['POST', { path: '/qdrant/collections/shared/points/delete', body: { filter: { must: [{ key: 'owner', match: { value: 'alpha' } }] } } }],
    ];
    for (const [method, p] of probes) {
      const r = await asB(method, p);
      assert.ok(r.status < 300, `${method} ${p.path}: ${r.status} ${r.text.slice(0, 200)}`);
      assertNoLeak(`${method} ${p.path}`, r, '');
    }
    assert.deepEqual((await asB('GET', { path: '/v1/collections' })).body.collections.map((c: { name: string }) => c.name).sort(), ['alpha-docs-b', 'shared']);
    assert.equal((await asB('GET', { path: '/v1/collections/shared' })).body.count, 0);
    assert.deepEqual((await asB('GET', { path: '/qdrant/collections' })).body.result.collections.map((c: { name: string }) => c.name).sort(), ['alpha-docs-b', 'shared']);
    assert.equal((await asB('POST', { path: '/qdrant/collections/shared/points/count', body: {} })).body.result.count, 0);
    assert.equal((await asB('POST', { path: '/v1/collections/shared/records/delete', body: { ids: [x.rec, 'alpha-rec-2'] } })).body.deleted, 0);
    // B's own writes under A's names land in B.
    assert.equal((await asB('POST', { path: '/v1/collections/shared/records', body: { records: [{ id: x.rec, vector: V4, metadata: { owner: 'bravo' } }] } })).status, 200);
    assert.equal((await asB('POST', { path: '/v1/collections/alpha-docs-b/documents', body: { id: x.doc, text: 'bravo text' } })).status, 200);
    assert.equal(await snapshotOfA(), before);
    assert.equal((await asA('GET', { path: `/v1/collections/shared/records/${x.rec}` })).body.metadata.owner, 'alpha');
  });

  it('/metrics reveals no tenant, collection, record, document, job or key', async () => {
    const m = await send('GET', { path: '/metrics' });
    assert.equal(m.status, 200);
    for (const secret of [...secretsOfA, tenantB, 'tenant-bravo-91c2', x.coll, x.rec, x.docs, x.doc, 'alpha-docs-b', keyA.slice(0, 12), keyB.slice(0, 12)]) {
      assert.ok(!m.text.includes(secret), `/metrics contains ${JSON.stringify(secret)}`);
    }
  });
});

describe('key comparison does not depend on how much of the key is right', () => {
  it('the stored hash is compared with timingSafeEqual, never the key itself; timings reported', () => {
    const acc = new Accounts(tempDir());
    try {
      const { apiKey } = acc.register('timing');
      const seen: [number, number][] = [];
      const original = crypto.timingSafeEqual;
      crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
        seen.push([a.byteLength, b.byteLength]);
        return original(a, b);
      }) as typeof crypto.timingSafeEqual;
      syncBuiltinESMExports();
      const flip = (c: string) => (c === 'A' ? 'B' : 'A');
      // Same 12-character prefix, so the lookup finds the row and the comparison runs.
      const nearMiss = apiKey.slice(0, -1) + flip(apiKey.at(-1)!);
      const farMiss = apiKey.slice(0, 12) + [...apiKey.slice(12)].map(flip).join('');
      try {
        for (const guess of [nearMiss, farMiss]) {
          seen.length = 0;
          assert.throws(() => acc.authenticate(guess), /not valid/);
          assert.ok(seen.length >= 1, 'timingSafeEqual decides');
          assert.ok(seen.every(([a, b]) => a === 32 && b === 32), `it compares SHA-256 digests, not the key: ${JSON.stringify(seen)}`);
        }
      } finally {
        crypto.timingSafeEqual = original;
        syncBuiltinESMExports();
      }
      assert.equal(acc.authenticate(apiKey).tenantId.length > 0, true);

      // Measured, not asserted (a shared machine): medians of interleaved batches.
      const rounds = FULL ? 4000 : 400;
      const batch = 25;
      const time = (guess: string) => {
        const t = process.hrtime.bigint();
        for (let i = 0; i < batch; i++) {
          try {
            acc.authenticate(guess);
          } catch {
            // expected
          }
        }
        return Number(process.hrtime.bigint() - t) / batch;
      };
      const near: number[] = [];
      const far: number[] = [];
      for (let r = 0; r < rounds; r++) {
        if (r % 2) {
          near.push(time(nearMiss));
          far.push(time(farMiss));
        } else {
          far.push(time(farMiss));
          near.push(time(nearMiss));
        }
      }
      const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
      const fmt = (xs: number[]) => `median ${(q(xs, 0.5) / 1000).toFixed(2)} µs (IQR ${(q(xs, 0.25) / 1000).toFixed(2)}–${(q(xs, 0.75) / 1000).toFixed(2)})`;
      process.stdout.write(`# key timing (${rounds * batch} authentications each): all-but-one right ${fmt(near)}; none right after the prefix ${fmt(far)}\n`);
    } finally {
      acc.close();
    }
  });
});

describe('rate limits are per key', () => {
  it('a key over its budget gets 429 with Retry-After, in every header form; another key does not', async () => {
    const rl = await serveProcess(tempDir(), { VECTRA_RATE_LIMIT: '5' });
    const one = await register(rl.url, 'one');
    const two = await register(rl.url, 'two');
    allKeys.push(one.key, two.key);
    const get = (headers: Record<string, string>) => call(rl.url, 'GET', '/v1/collections', { headers });
    for (let i = 0; i < 5; i++) assert.equal((await get(bearer(one.key))).status, 200, `request ${i + 1} of 5`);
    const limited = await get(bearer(one.key));
    assert.equal(limited.status, 429);
    assert.equal(errorCode(limited), 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After');
    assert.ok(!JSON.stringify(limited.body).includes(one.key));
    // The same key written differently is the same key: no fresh budget.
    for (const headers of [{ authorization: `bearer ${one.key}` } as Record<string, string>, { authorization: `Bearer  ${one.key}` }, { authorization: `BEARER\t${one.key}` }, { 'x-api-key': one.key }]) {
      const r = await get(headers);
      assert.equal(r.status, 429, `${JSON.stringify(Object.keys(headers))} ${JSON.stringify(Object.values(headers)[0].replace(one.key, '<key>'))}: ${r.status}`);
    }
    // The same budget under /qdrant, the key in Qdrant's header: a 429 in Qdrant's shape.
    const q = await call(rl.url, 'GET', '/qdrant/collections', { headers: { 'api-key': one.key } });
    assert.equal(q.status, 429);
    assert.equal(codeOf(q), 'RATE_LIMITED');
    assert.match(q.body.status.error, /^Rate limiting exceeded: /);
    assert.ok(Number(q.headers.get('retry-after')) > 0, 'Retry-After under /qdrant');
    assert.equal((await get(bearer(two.key))).status, 200, "another tenant's key is unaffected");
    assert.equal((await call(rl.url, 'GET', '/health')).status, 200, 'health is never limited');
    rl.proc.kill('SIGTERM');
    await rl.exited;
    checkLogs(rl.output());
  });
});

/** No full key, no key without its public prefix, no key hash in the server's log. */
function checkLogs(log: string): void {
  assert.ok(log.length > 0);
  for (const key of allKeys) {
    const hash = createHash('sha256').update(key).digest();
    for (const [what, needle] of [
      ['the key', key],
      ['the secret part of the key', key.slice(12)],
      ['its SHA-256 (hex)', hash.toString('hex')],
      ['its SHA-256 (base64)', hash.toString('base64')],
      ['its SHA-256 (base64url)', hash.toString('base64url').slice(0, 22)],
    ] as const) {
      assert.ok(!log.includes(needle), `the server log contains ${what} of ${key.slice(0, 12)}…`);
    }
  }
}

describe('secrets', () => {
  it('no API key or its hash in the server log or in any error message', async () => {
    // A few more chances to leak: keys in odd headers, the query string and the path.
    await send('GET', { path: `/v1/collections?api_key=${keyA}` }, bearer(keyA));
    await send('GET', { path: `/v1/nothing/${keyA}` });
    await send('GET', { path: '/v1/collections' }, { authorization: `Basic ${keyA}` });
    await send('GET', { path: '/v1/collections' }, { authorization: `Bearer ${keyA}x` });
    await send('GET', { path: '/v1/collections' }, { 'x-api-key': `${keyA} ${keyA}` });
    await send('POST', { path: '/v1/collections', body: { name: keyA } }, bearer(keyA));
    await send('POST', { path: '/v1/keys', body: { name: 'n', scopes: [keyA] } }, bearer(keyA));
    await send('GET', { path: '/v1/collections' }, { authorization: `Bearer ${keys.revoked}` });
    await send('GET', { path: '/v1/collections' }, { authorization: `Bearer ${keys.expired}` });
    s.proc.kill('SIGTERM');
    await s.exited;
    checkLogs(s.output());
    let errors = 0;
    for (const a of answers) {
      if (a.status < 400) continue;
      errors++;
      for (const key of allKeys) {
        // The caller's own input echoed back (a name it sent) is not a leak; the key it sent in a header is not echoed.
        if (a.req.includes(key)) continue;
        assert.ok(!a.text.includes(key) && !a.text.includes(key.slice(12)), `${a.req} → ${a.status} contains a key: ${a.text.slice(0, 200)}`);
      }
    }
    process.stdout.write(`# security: ${answers.length} answers (${errors} errors) and ${s.output().split('\n').length} log lines hold no key and no key hash\n`);
  });
});
