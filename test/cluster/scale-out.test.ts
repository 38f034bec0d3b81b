/**
 * The scale-out mode on real parts: a PostgreSQL server (Debian's, started here on loopback) and
 * three `vectra serve` processes sharing it, each with its own data directory. What a write on
 * one node does on the others; kill -9 of a node in the middle of writes through all three;
 * PostgreSQL stopped and back; a node started empty; accounts, drops and isolation across nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serveProcess, type ServerProcess } from '../support/process.js';
import { client, errorCode, register } from '../support/server.js';
import { startPostgres, type Postgres } from '../support/services.js';
import { spawnServer } from '../support/spawn-server.js';
import { MODEL_CACHE } from '../support/server.js';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
import { tempDir } from '../support/tmp.js';
import { untilValue } from '../support/until.js';
import { distinctVector } from '../support/vectors.js';

const DIM = 8;
type Api = ReturnType<typeof client>;

// Distinct directions: record i is nearest to itself.
const vec = (i: number) => distinctVector(i, DIM);

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000) => untilValue(what, probe, timeoutMs, 20);

/** Every id of the collection, read from one node (strongly consistent). */
async function allIds(api: Api, name: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  // A strong search first: the node waits until it has applied what was committed.
  const s = await api('POST', `/v1/collections/${name}/search`, { vector: vec(0), k: 1, consistency: 'strong' });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  do {
    const r = await api('GET', `/v1/collections/${name}/records?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const rec of r.body.records) ids.add(rec.id);
    cursor = r.body.nextCursor;
  } while (cursor);
  return ids;
}

describe('scale-out: three nodes on one PostgreSQL', () => {
  let pg: Postgres;
  const nodes: (ServerProcess & { dataDir: string })[] = [];
  const env = () => ({ VECTRA_DATABASE_URL: pg.url, VECTRA_RATE_LIMIT: '1000000' });
  let key: string;
  const api = (i: number) => client(nodes[i].url, key);

  async function startNode(dataDir = tempDir('vectra-node-')) {
    const s = await serveProcess(dataDir, env());
    return Object.assign(s, { dataDir });
  }

  before(async () => {
    pg = await startPostgres();
    // Three nodes starting at once: the migrations run once (advisory lock).
    nodes.push(...(await Promise.all([startNode(), startNode(), startNode()])));
    key = (await register(nodes[0].url, 'acme')).key;
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await pg.stop();
  });

  it('a key registered on node 1 works on nodes 2 and 3; a collection created there exists everywhere', async () => {
    for (const i of [1, 2]) {
      const { ms } = await until(`key on node ${i + 1}`, async () => ((await api(i)('GET', '/v1/collections')).status === 200 ? true : undefined), 5000);
      assert.ok(ms < 5000);
    }
    assert.equal((await api(0)('POST', '/v1/collections', { name: 'docs', model: 'none', dimension: DIM })).status, 201);
    await until('collection on node 3', async () => ((await api(2)('GET', '/v1/collections/docs')).status === 200 ? true : undefined), 5000);
    // The name is taken cluster-wide.
    const again = await api(1)('POST', '/v1/collections', { name: 'docs', model: 'none', dimension: DIM });
    assert.equal(again.status, 409, JSON.stringify(again.body));
  });

  it('a write on node 1 is read on node 3: at once with consistency strong or minSeq, and eventually within a bound', async () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ id: `r${i}`, vector: vec(i), metadata: { i } }));
    const w = await api(0)('POST', '/v1/collections/docs/records', { records });
    assert.equal(w.status, 200, JSON.stringify(w.body));
    assert.equal(w.body.seq, 200);
    // Strong: node 3 waits for its replica.
    const strong = await api(2)('POST', '/v1/collections/docs/search', { vector: vec(17), k: 1, consistency: 'strong', exact: true });
    assert.equal(strong.status, 200, JSON.stringify(strong.body));
    assert.equal(strong.body.results[0].id, 'r17');
    // minSeq: node 2 answers once it has applied seq 200.
    const min = await api(1)('POST', '/v1/collections/docs/search', { vector: vec(42), k: 1, minSeq: w.body.seq, exact: true });
    assert.equal(min.body.results[0].id, 'r42');
    // Eventual: a write on node 2, polled on node 3 without waiting.
    const w2 = await api(1)('POST', '/v1/collections/docs/records', { records: [{ id: 'late', vector: vec(7), metadata: { late: true } }] });
    assert.equal(w2.body.seq, 201);
    const { ms } = await until('eventual read on node 3', async () => ((await api(2)('GET', '/v1/collections/docs/records/late')).status === 200 ? true : undefined), 3000);
    assert.ok(ms < 3000, `visible on node 3 after ${ms} ms`);
    // A delete on node 3, strongly read on node 1.
    assert.equal((await api(2)('DELETE', '/v1/collections/docs/records/late')).status, 204);
    const gone = await api(0)('POST', '/v1/collections/docs/search', { vector: vec(7), k: 300, consistency: 'strong', exact: true, return: 'id' });
    assert.ok(!gone.body.results.some((h: { id: string }) => h.id === 'late'));
    // The change feed is PostgreSQL's: the same seqs on every node.
    const f1 = await api(0)('GET', '/v1/collections/docs/changes?since=195&limit=10');
    const f3 = await api(2)('GET', '/v1/collections/docs/changes?since=195&limit=10');
    assert.equal(f1.status, 200, JSON.stringify(f1.body));
    assert.deepEqual(f1.body.changes.map((c: { seq: number; op: string; id: string }) => [c.seq, c.op, c.id]), [
      [196, 'upsert', 'r195'], [197, 'upsert', 'r196'], [198, 'upsert', 'r197'], [199, 'upsert', 'r198'], [200, 'upsert', 'r199'], [201, 'upsert', 'late'], [202, 'delete', 'late'],
    ]);
    assert.deepEqual(f3.body.changes, f1.body.changes);
    // minSeq ahead of anything committed: 503 REPLICA_BEHIND after the wait, not a hang.
  });

  it('kill -9 of a node in the middle of writes through all three: every acknowledged write is on the survivors and on the node after its restart', async () => {
    assert.equal((await api(0)('POST', '/v1/collections', { name: 'load', model: 'none', dimension: DIM })).status, 201);
    await until('load on every node', async () => ((await Promise.all([0, 1, 2].map((i) => api(i)('GET', '/v1/collections/load')))).every((r) => r.status === 200) ? true : undefined));
    const acked = new Set<string>();
    let stop = false;
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const node = (w + n) % 3;
        const ids = Array.from({ length: 5 }, (_, j) => `w${w}-${n}-${j}`);
        try {
          const r = await api(node)('POST', '/v1/collections/load/records', { records: ids.map((id, j) => ({ id, vector: vec(n * 5 + j) })) });
          if (r.status === 200) ids.forEach((id) => acked.add(id));
        } catch {
          // The killed node's connections fail: not acknowledged, not counted.
        }
      }
    };
    const writers = [0, 1, 2].map((w) => writer(w));
    await new Promise((r) => setTimeout(r, 1500));
    nodes[1].proc.kill('SIGKILL');
    await nodes[1].exited;
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(writers);
    assert.ok(acked.size > 100, `${acked.size} acknowledged`);
    for (const i of [0, 2]) {
      const have = await allIds(api(i), 'load');
      const missing = [...acked].filter((id) => !have.has(id));
      assert.deepEqual(missing, [], `node ${i + 1} misses ${missing.length} acknowledged records`);
    }
    nodes[1] = await startNode(nodes[1].dataDir);
    const have = await allIds(api(1), 'load');
    assert.deepEqual([...acked].filter((id) => !have.has(id)), []);
    // Every node holds the same set.
    assert.equal(have.size, (await allIds(api(0), 'load')).size);
  });

  it('PostgreSQL stopped: writes answer 503 DATABASE_UNAVAILABLE, reads from the replicas go on; all recovers when it returns', async () => {
    await pg.stop();
    const w = await api(0)('POST', '/v1/collections/docs/records', { records: [{ id: 'down', vector: vec(3) }] });
    assert.equal(w.status, 503, JSON.stringify(w.body));
    assert.equal(errorCode(w), 'DATABASE_UNAVAILABLE');
    const r = await api(2)('POST', '/v1/collections/docs/search', { vector: vec(17), k: 1, exact: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.results[0].id, 'r17');
    assert.equal((await api(1)('GET', '/v1/collections/docs/records/r3')).status, 200);
    await pg.start();
    const back = await until('a write after PostgreSQL is back', async () => {
      const a = await api(0)('POST', '/v1/collections/docs/records', { records: [{ id: 'back', vector: vec(3) }] });
      return a.status === 200 ? a : undefined;
    }, 15_000);
    assert.ok(back.value.body.seq > 202);
    const seen = await api(2)('POST', '/v1/collections/docs/search', { vector: vec(3), k: 300, minSeq: back.value.body.seq, return: 'id', exact: true });
    assert.equal(seen.status, 200, JSON.stringify(seen.body));
    assert.ok(seen.body.results.some((h: { id: string }) => h.id === 'back'));
  });

  it('PostgreSQL restarted in the middle of writes through all three: no node goes down, acknowledged writes stay, writes resume', async () => {
    const acked = new Set<string>();
    let stop = false;
    let answered = 0;
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const id = `pgr-${w}-${n}`;
        const r = await api(n % 3)('POST', '/v1/collections/docs/records', { records: [{ id, vector: vec(n) }] });
        answered++;
        if (r.status === 200) acked.add(id);
        else assert.ok([503].includes(r.status), `${r.status} ${JSON.stringify(r.body)}`);
      }
    };
    const writers = [0, 1].map((w) => writer(w));
    await new Promise((r) => setTimeout(r, 500));
    await pg.stop();
    await new Promise((r) => setTimeout(r, 300));
    await pg.start();
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(writers);
    for (const n of nodes) assert.equal(n.proc.exitCode, null, 'a node exited');
    // Writes work again on every node, and every acknowledged one is there.
    for (const i of [0, 1, 2]) {
      const r = await until(`a write on node ${i + 1}`, async () => {
        const a = await api(i)('POST', '/v1/collections/docs/records', { records: [{ id: `after-${i}`, vector: vec(i) }] });
        return a.status === 200 ? a : undefined;
      }, 15_000);
      assert.ok(r.value.body.seq > 0);
    }
    const have = await allIds(api(2), 'docs');
    assert.deepEqual([...acked].filter((id) => !have.has(id)), []);
    assert.ok(answered > 10);
  });

  it('a collection dropped and created again with another dimension: no replica gets stuck, writes land in the new one', async () => {
    assert.equal((await api(0)('POST', '/v1/collections', { name: 'again', model: 'none', dimension: DIM })).status, 201);
    await until('again on every node', async () => ((await Promise.all([0, 1, 2].map((i) => api(i)('GET', '/v1/collections/again')))).every((r) => r.status === 200) ? true : undefined));
    assert.equal((await api(1)('POST', '/v1/collections/again/records', { records: [{ id: 'old', vector: vec(1) }] })).status, 200);
    assert.equal((await api(0)('DELETE', '/v1/collections/again')).status, 204);
    assert.equal((await api(0)('POST', '/v1/collections', { name: 'again', model: 'none', dimension: 4 })).status, 201);
    // Node 2 may not know yet: its write is refused (dropped: 404, or the new one loading: 503) or lands in the new one — never in the old.
    const racing = await api(1)('POST', '/v1/collections/again/records', { records: [{ id: 'racer', vector: vec(2) }] });
    assert.ok([200, 400, 404, 503].includes(racing.status), `${racing.status} ${JSON.stringify(racing.body)}`);
    const w = await until('a 4-d write through node 2', async () => {
      const r = await api(1)('POST', '/v1/collections/again/records', { records: [{ id: 'new', vector: [1, 0, 0, 0] }] });
      return r.status === 200 ? r : undefined;
    }, 10_000);
    for (const i of [0, 1, 2]) {
      const r = await api(i)('POST', '/v1/collections/again/search', { vector: [1, 0, 0, 0], k: 10, minSeq: w.value.body.seq, return: 'id' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.results.map((h: { id: string }) => h.id), ['new']);
    }
    // A minSeq the collection has not reached is a mistake, as in one process.
    const ahead = await api(2)('POST', '/v1/collections/again/search', { vector: [1, 0, 0, 0], k: 1, minSeq: w.value.body.seq + 1000 });
    assert.equal(ahead.status, 400, JSON.stringify(ahead.body));
  });

  it('a node refuses to start over a data directory of the embedded mode (it would drop that data), saying why', async () => {
    const dir = tempDir('vectra-legacy-');
    const single = await serveProcess(dir, { VECTRA_RATE_LIMIT: '1000000' });
    const k = (await register(single.url, 'legacy')).key;
    assert.equal((await client(single.url, k)('POST', '/v1/collections', { name: 'mine', model: 'none', dimension: DIM })).status, 201);
    await single.stop();
    const node = await spawnServer({ cli: CLI, nodeArgs: ['--import', 'tsx'], dataDir: dir, modelCache: MODEL_CACHE, args: ['--log-level', 'info'], env: env(), keepOutput: true });
    const exit = await node.exited;
    assert.equal(exit.code, 1);
    assert.match(node.output(), /holds collection \\"mine\\" of the embedded mode/);
    // Nothing was dropped: the embedded server still has its collection.
    const again = await serveProcess(dir, { VECTRA_RATE_LIMIT: '1000000' });
    assert.equal((await client(again.url, k)('GET', '/v1/collections/mine')).status, 200);
    await again.stop();
  });

  it('a node started with an empty data directory converges to the same records', async () => {
    const fresh = await startNode();
    nodes.push(fresh);
    const freshApi = client(fresh.url, key);
    const [a, b] = [await allIds(freshApi, 'docs'), await allIds(api(0), 'docs')];
    assert.deepEqual([...a].sort(), [...b].sort());
    assert.deepEqual([...(await allIds(freshApi, 'load'))].sort(), [...(await allIds(api(0), 'load'))].sort());
  });

  it('a conversation started on one node goes on on another (chat without an LLM: extractive answers)', async () => {
    assert.equal((await api(0)('POST', '/v1/collections', { name: 'kb' })).status, 201);
    await until('kb on every node', async () => ((await Promise.all([0, 1, 2].map((i) => api(i)('GET', '/v1/collections/kb')))).every((r) => r.status === 200) ? true : undefined));
    const w = await api(0)('POST', '/v1/collections/kb/records', {
      records: [
        { id: 'espresso', text: 'Espresso is brewed by forcing hot water through finely ground coffee.' },
        { id: 'tea', text: 'Green tea is steeped in water below boiling.' },
      ],
    });
    assert.equal(w.status, 200, JSON.stringify(w.body));
    await api(1)('POST', '/v1/collections/kb/search', { text: 'coffee', k: 1, minSeq: w.body.seq });
    const first = await api(1)('POST', '/v1/chat', { collection: 'kb', messages: [{ role: 'user', content: 'How is espresso brewed?' }] });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const id = first.body.conversationId;
    const next = await api(2)('POST', '/v1/chat', { collection: 'kb', conversationId: id, messages: [{ role: 'user', content: 'And green tea?' }] });
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.equal(next.body.conversationId, id);
    const got = await api(0)('GET', `/v1/conversations/${id}`);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.deepEqual(got.body.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'user', 'assistant']);
    assert.equal((await api(0)('GET', '/v1/conversations')).body.conversations[0].id, id);
    assert.equal((await client(nodes[0].url, (await register(nodes[0].url, 'stranger')).key)('GET', `/v1/conversations/${id}`)).status, 404);
    assert.equal((await api(2)('DELETE', `/v1/conversations/${id}`)).status, 204);
    assert.equal((await api(1)('GET', `/v1/conversations/${id}`)).status, 404);
  });

  it('a job taken by node 1 is followed and cancelled from the other nodes', async () => {
    assert.equal((await api(0)('POST', '/v1/collections', { name: 'bulk', model: 'none', dimension: DIM })).status, 201);
    await until('bulk on every node', async () => ((await Promise.all([0, 1, 2].map((i) => api(i)('GET', '/v1/collections/bulk')))).every((r) => r.status === 200) ? true : undefined));
    const ndjson = (n: number, tag: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${tag}${i}`, vector: vec(i) })).join('\n') + '\n';
    const post = (node: number, body: string) =>
      fetch(`${nodes[node].url}/v1/collections/bulk/imports`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body });
    const small = await post(0, ndjson(1200, 's'));
    assert.equal(small.status, 202);
    const job = (await small.json()) as { id: string };
    // Node 3 sees it, to the end.
    const done = await until('the job done, seen from node 3', async () => {
      const r = await api(2)('GET', `/v1/jobs/${job.id}`);
      return r.status === 200 && r.body.status === 'done' ? r.body : undefined;
    }, 20_000);
    assert.equal(done.value.upserted, 1200);
    assert.ok((await api(1)('GET', '/v1/jobs')).body.jobs.some((j: { id: string }) => j.id === job.id));
    // Another tenant does not see it.
    const stranger = client(nodes[1].url, (await register(nodes[1].url, 'outsider')).key);
    assert.equal((await stranger('GET', `/v1/jobs/${job.id}`)).status, 404);
    // A large import on node 1, cancelled from node 2: it stops, what it imported stays.
    const big = await post(0, ndjson(60_000, 'b'));
    assert.equal(big.status, 202);
    const bigJob = (await big.json()) as { id: string };
    const asked = await api(1)('POST', `/v1/jobs/${bigJob.id}/cancel`);
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    const cancelled = await until('cancelled, seen from node 3', async () => {
      const r = await api(2)('GET', `/v1/jobs/${bigJob.id}`);
      return r.body.status === 'cancelled' ? r.body : undefined;
    }, 10_000);
    assert.ok(cancelled.value.done < 60_000, JSON.stringify(cancelled.value));
    assert.equal((await api(1)('POST', '/v1/jobs/job_nope/cancel')).status, 404);
  });

  it('tenants stay apart across nodes; a revoked key and a dropped collection stop working on every node', async () => {
    const other = client(nodes[2].url, (await register(nodes[1].url, 'other')).key);
    await until('the other tenant on node 3', async () => ((await other('GET', '/v1/collections')).status === 200 ? true : undefined), 5000);
    assert.deepEqual((await other('GET', '/v1/collections')).body.collections, []);
    assert.equal((await other('GET', '/v1/collections/docs')).status, 404);
    assert.equal((await other('POST', '/v1/collections/docs/search', { vector: vec(1), k: 1, consistency: 'strong' })).status, 404);
    // A key created and revoked on node 1 is refused by node 3 at once after.
    const made = await api(0)('POST', '/v1/keys', { name: 'temp', scopes: ['read'] });
    const temp = client(nodes[2].url, made.body.apiKey);
    await until('the new key on node 3', async () => ((await temp('GET', '/v1/collections')).status === 200 ? true : undefined), 5000);
    assert.equal((await api(0)("DELETE", `/v1/keys/${made.body.id}`)).status, 204);
    const { ms } = await until('revocation on node 3', async () => ((await temp('GET', '/v1/collections')).status === 401 ? true : undefined), 5000);
    assert.ok(ms < 2000, `revoked on node 3 after ${ms} ms`);
    // A drop on node 2 reaches node 1.
    assert.equal((await api(1)('DELETE', '/v1/collections/load')).status, 204);
    await until('drop on node 1', async () => ((await api(0)('GET', '/v1/collections/load')).status === 404 ? true : undefined), 5000);
  });
});
