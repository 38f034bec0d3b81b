/**
 * Crash loop: the real server under concurrent writers (upserts, deletes, collection create
 * and drop) and readers is killed with SIGKILL at a random moment, again and again. After
 * each restart: every acknowledged write is there, every acknowledged delete is gone, the one
 * request each writer had in flight was applied whole or not at all, no answer was a 5xx,
 * exact search agrees with a brute-force oracle over what is stored, the HNSW search agrees
 * with exact search, and the server started without logging an error. The last cycle stops
 * the server with SIGTERM under the same load: it drains, exits 0 and loses nothing.
 *
 * `npm test` runs a few cycles; `npm run test:reliability` runs 50 (VECTRA_RELIABILITY=full).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serveProcess, type ServerProcess } from '../support/process.js';
import { client, register } from '../support/server.js';
import { tempDir } from '../support/tmp.js';
import { FULL, rng, type Rng } from './scale.js';

const CYCLES = FULL ? 50 : 4;
const DIM = 8;
const WRITERS = 3;
const K = 10;

/** The vector of record `id` at version `ver`: a pure function, so the oracle needs no copy. */
function vectorOf(id: string, ver: number): number[] {
  const r = rng(`${id}@${ver}`);
  return Array.from({ length: DIM }, () => round4(r() * 2 - 1));
}

/** Four decimals, and never -0 (JSON sends -0 as 0). */
const round4 = (x: number) => Math.round(x * 1e4) / 1e4 + 0;

type Pending = { kind: 'upsert'; records: [string, number][] } | { kind: 'delete'; ids: string[] } | null;

/** What one writer knows: the acknowledged version of each of its ids, and what it had in flight. */
class WriterModel {
  acked = new Map<string, number>();
  pending: Pending = null;
  next = 1;
  constructor(readonly name: string) {}
}

interface Stored {
  ver: number;
  vector: number[];
}

type Api = ReturnType<typeof client>;

/** A request that reached a server already draining for SIGTERM: refused, in the API's envelope. */
function shuttingDown(res: { status: number; body: any }): boolean {
  if (res.status !== 503) return false;
  assert.equal(res.body?.error?.code, 'SHUTTING_DOWN', `503 in the API's error envelope: ${JSON.stringify(res.body)}`);
  return true;
}

/** Every record of the collection, by id (paged list with vectors). */
async function readAll(api: Api): Promise<Map<string, Stored>> {
  const out = new Map<string, Stored>();
  let cursor: string | null = null;
  do {
    const q: string = `/v1/collections/main/records?limit=1000&includeVector=true${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await api('GET', q);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    for (const r of page.body.records) out.set(r.id, { ver: r.metadata.ver, vector: r.vector });
    cursor = page.body.nextCursor;
  } while (cursor);
  return out;
}

/** Check one writer's ids against what is stored; resolve its pending op to what happened. */
function reconcile(w: WriterModel, stored: Map<string, Stored>): void {
  const mine = [...stored.keys()].filter((id) => id.startsWith(`${w.name}-`));
  const p = w.pending;
  const touched = new Set(p === null ? [] : p.kind === 'upsert' ? p.records.map(([id]) => id) : p.ids);
  for (const id of new Set([...mine, ...w.acked.keys()])) {
    if (touched.has(id)) continue;
    const want = w.acked.get(id);
    const got = stored.get(id);
    assert.equal(got?.ver, want, `${id}: acknowledged version ${want ?? '(deleted)'}, stored ${got?.ver ?? '(absent)'}`);
  }
  if (p !== null) {
    const after = new Map(w.acked);
    if (p.kind === 'upsert') for (const [id, ver] of p.records) after.set(id, ver);
    else for (const id of p.ids) after.delete(id);
    const ids = [...touched];
    const matches = (state: Map<string, number>) => ids.every((id) => stored.get(id)?.ver === state.get(id));
    const applied = matches(after);
    assert.ok(applied || matches(w.acked), `${w.name}: the ${p.kind} in flight at the kill was applied in part`);
    if (applied) w.acked = after;
    w.pending = null;
  }
  for (const [id, ver] of w.acked) {
    const got = stored.get(id)!;
    assert.deepEqual(got.vector.map(round4), vectorOf(id, ver), `${id}: vector of version ${ver}`);
  }
}

const l2 = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0);

/** Exact search equals a brute-force ranking of what is stored; HNSW agrees with exact search. */
async function checkSearch(api: Api, stored: Map<string, Stored>, r: Rng): Promise<void> {
  if (stored.size < K) return;
  const all = [...stored];
  let overlap = 0;
  const queries = 5;
  for (let q = 0; q < queries; q++) {
    const v = Array.from({ length: DIM }, () => r() * 2 - 1);
    const oracle = all.map(([id, s]) => [id, l2(v, s.vector)] as const).sort((a, b) => a[1] - b[1]).slice(0, K).map(([id]) => id);
    const exact = await api('POST', '/v1/collections/main/search', { vector: v, k: K, exact: true, return: 'id' });
    assert.equal(exact.status, 200);
    assert.deepEqual(exact.body.results.map((x: { id: string }) => x.id), oracle, 'exact search must equal the brute-force oracle');
    const approx = await api('POST', '/v1/collections/main/search', { vector: v, k: K, return: 'id' });
    assert.equal(approx.status, 200);
    overlap += approx.body.results.filter((x: { id: string }) => oracle.includes(x.id)).length;
  }
  assert.ok(overlap / (queries * K) >= 0.9, `HNSW recall@${K} against exact: ${overlap / (queries * K)}`);
}

/** Load until `stop` resolves: writers (own ids, one request in flight each), a collection churner, readers. */
async function load(api: Api, writers: WriterModel[], colls: { acked: Set<string>; pending: { name: string; kind: 'create' | 'drop' } | null; n: number }, cycle: number, stop: Promise<void>, r: Rng) {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const serverErrors: string[] = [];
  const note = (what: string, status: number, body: unknown) => {
    if (status >= 500) serverErrors.push(`${what} → ${status} ${JSON.stringify(body).slice(0, 200)}`);
  };
  const writer = async (w: WriterModel) => {
    while (!stopped) {
      const ids = [...w.acked.keys()];
      if (r() < 0.25 && ids.length > 0) {
        const del = ids.filter(() => r() < 0.2).slice(0, 50);
        if (del.length === 0) continue;
        w.pending = { kind: 'delete', ids: del };
        const single = del.length === 1;
        const res = await api(single ? 'DELETE' : 'POST', single ? `/v1/collections/main/records/${del[0]}` : '/v1/collections/main/records/delete', single ? undefined : { ids: del }).catch(() => null);
        if (!res || shuttingDown(res)) return; // the server died or is stopping: the op stays pending
        note('delete', res.status, res.body);
        assert.ok(res.status === 200 || res.status === 204, `delete answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
        for (const id of del) w.acked.delete(id);
        w.pending = null;
      } else {
        // Sizes across the deferred-indexing threshold (256): some batches go to the tail.
        const size = r() < 0.2 ? 257 + Math.floor(r() * 300) : 1 + Math.floor(r() * 60);
        const records: [string, number][] = [];
        const seen = new Set<string>();
        for (let i = 0; i < size; i++) {
          const id = r() < 0.3 && ids.length > 0 ? ids[Math.floor(r() * ids.length)] : `${w.name}-${cycle}-${w.next++}`;
          if (seen.has(id)) continue;
          seen.add(id);
          records.push([id, (w.acked.get(id) ?? 0) + 1 + Math.floor(r() * 3)]);
        }
        w.pending = { kind: 'upsert', records };
        const res = await api('POST', '/v1/collections/main/records', { records: records.map(([id, ver]) => ({ id, vector: vectorOf(id, ver), metadata: { ver, w: w.name } })) }).catch(() => null);
        if (!res || shuttingDown(res)) return;
        note('upsert', res.status, res.body);
        assert.equal(res.status, 200, `upsert answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
        for (const [id, ver] of records) w.acked.set(id, ver);
        w.pending = null;
      }
    }
  };
  const churner = async () => {
    while (!stopped) {
      const existing = [...colls.acked];
      const drop = existing.length > 2 || (existing.length > 0 && r() < 0.4);
      const name = drop ? existing[Math.floor(r() * existing.length)] : `tmp-${cycle}-${colls.n++}`;
      colls.pending = { name, kind: drop ? 'drop' : 'create' };
      const res = await (drop ? api('DELETE', `/v1/collections/${name}`) : api('POST', '/v1/collections', { name, model: 'none', dimension: 4 })).catch(() => null);
      if (!res || shuttingDown(res)) return;
      note(drop ? 'drop' : 'create', res.status, res.body);
      assert.equal(res.status, drop ? 204 : 201, `${drop ? 'drop' : 'create'} ${name} answered ${res.status}`);
      if (drop) colls.acked.delete(name);
      else colls.acked.add(name);
      colls.pending = null;
    }
  };
  const reader = async () => {
    while (!stopped) {
      const res = await api('POST', '/v1/collections/main/search', { vector: Array.from({ length: DIM }, () => r() * 2 - 1), k: 5, filter: r() < 0.3 ? { w: 'w0' } : undefined }).catch(() => null);
      if (!res || shuttingDown(res)) return;
      note('search', res.status, res.body);
    }
  };
  await Promise.all([...writers.map(writer), churner(), reader(), reader()]);
  return serverErrors;
}

async function checkCollections(api: Api, colls: { acked: Set<string>; pending: { name: string; kind: 'create' | 'drop' } | null }) {
  const listed = new Set<string>((await api('GET', '/v1/collections')).body.collections.map((c: { name: string }) => c.name));
  for (const name of colls.acked) if (colls.pending?.name !== name) assert.ok(listed.has(name), `acknowledged collection ${name} is missing`);
  for (const name of listed) if (name.startsWith('tmp-') && colls.pending?.name !== name) assert.ok(colls.acked.has(name), `dropped collection ${name} is back`);
  if (colls.pending) {
    if (listed.has(colls.pending.name)) colls.acked.add(colls.pending.name);
    else colls.acked.delete(colls.pending.name);
    colls.pending = null;
  }
}

function assertCleanStart(s: ServerProcess): void {
  const errors = s.output().split('\n').filter((l) => /"level":(50|60)/.test(l));
  assert.deepEqual(errors, [], 'the server logged errors while starting');
}

describe(`crash loop (${CYCLES} SIGKILL cycles, then SIGTERM under load)`, () => {
  it('loses no acknowledged write, keeps no acknowledged delete, applies nothing in part', async () => {
    const dir = tempDir();
    const r = rng('crash-loop');
    let s = await serveProcess(dir);
    const { key } = await register(s.url);
    let api = client(s.url, key);
    assert.equal((await api('POST', '/v1/collections', { name: 'main', model: 'none', dimension: DIM, metric: 'l2' })).status, 201);
    const writers = Array.from({ length: WRITERS }, (_, i) => new WriterModel(`w${i}`));
    const colls = { acked: new Set<string>(), pending: null as { name: string; kind: 'create' | 'drop' } | null, n: 0 };
    let records = 0;
    const readyMs: number[] = [];
    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      const last = cycle === CYCLES;
      const ms = 300 + Math.floor(r() * 1500);
      const stop = new Promise<void>((res) => setTimeout(res, ms));
      const errors = load(api, writers, colls, cycle, stop, r);
      await stop;
      s.proc.kill(last ? 'SIGTERM' : 'SIGKILL');
      const exit = await s.exited;
      assert.deepEqual(await errors, [], 'no 5xx under load');
      if (last) assert.deepEqual(exit, { code: 0, signal: null }, 'SIGTERM drains and exits 0');

      s = await serveProcess(dir);
      readyMs.push(s.readyMs);
      api = client(s.url, key);
      assert.equal((await fetch(`${s.url}/ready`)).status, 200, 'ready after restart');
      assertCleanStart(s);
      const stored = await readAll(api);
      for (const w of writers) reconcile(w, stored);
      const mine = [...stored.keys()].filter((id) => writers.some((w) => id.startsWith(`${w.name}-`)));
      assert.equal(mine.length, writers.reduce((t, w) => t + w.acked.size, 0), 'no record that no writer wrote');
      await checkCollections(api, colls);
      await checkSearch(api, stored, r);
      records = stored.size;
    }
    s.proc.kill('SIGTERM');
    await s.exited;
    assert.ok(records > 0);
    const sorted = [...readyMs].sort((a, b) => a - b);
    process.stdout.write(`# crash loop: ${CYCLES} SIGKILL cycles + 1 SIGTERM, ${records} records at the end, 0 losses; ready after restart in ${(sorted[Math.floor(sorted.length / 2)] / 1000).toFixed(1)} s (median), ${(sorted[sorted.length - 1] / 1000).toFixed(1)} s (slowest)\n`);
  });
});
