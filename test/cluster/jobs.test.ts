/**
 * Jobs in the scale-out mode, on real parts: a PostgreSQL server and three `vectra serve`
 * processes. A job and its upload are in PostgreSQL before the 202; a node claims it there and
 * holds it under a lease; a node killed (-9) mid-job loses it to another node when the lease
 * runs out, which resumes it. Which node ran a job is read from the nodes' own logs ("job
 * claimed") and from PostgreSQL's `jobs` row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { serveProcess, type ServerProcess } from '../support/process.js';
import { client, register } from '../support/server.js';
import { startPostgres, type Postgres } from '../support/services.js';
import { tempDir } from '../support/tmp.js';
import { untilValue } from '../support/until.js';
import { distinctVector } from '../support/vectors.js';

const DIM = 8;
const vec = (i: number) => distinctVector(i, DIM);

const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => (await untilValue(what, probe, timeoutMs)).value;

/** An NDJSON import of `n` lines; every third record has no id (it gets "<job id>-<line>"). */
const ndjson = (n: number, tag: string) => Array.from({ length: n }, (_, i) => JSON.stringify(i % 3 === 2 ? { vector: vec(i), metadata: { i } } : { id: `${tag}${i}`, vector: vec(i), metadata: { i } })).join('\n') + '\n';

async function connectTo(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

describe('scale-out jobs: run by any node, taken over when their node dies', () => {
  let pgServer: Postgres;
  /** A client of the test's own, to look at `jobs` and `job_files`; connected again after a restart of PostgreSQL. */
  let db: pg.Client | null = null;
  const nodes: (ServerProcess & { dataDir: string })[] = [];
  let key: string;
  const api = (i: number) => client(nodes[i].url, key);
  const startNode = async (dataDir = tempDir('vectra-node-')) =>
    Object.assign(await serveProcess(dataDir, { VECTRA_DATABASE_URL: pgServer.url, VECTRA_RATE_LIMIT: '1000000', VECTRA_UPLOAD_SYNC_BYTES: '65536' }), { dataDir });
  /** The nodes whose log says they claimed the job, one entry per claim. */
  const claimers = (job: string) => nodes.flatMap((n, i) => n.output().split('\n').filter((l) => l.includes('"job claimed"') && l.includes(`"job":"${job}"`)).map(() => i));
  const importTo = (node: number, collection: string, body: string, k = key) =>
    fetch(`${nodes[node].url}/v1/collections/${collection}/imports`, { method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/x-ndjson' }, body });
  const jobRow = async (id: string) => (await db!.query('SELECT status, owner, claims, (SELECT count(*)::int FROM job_files WHERE job_id = $1) AS parts FROM jobs WHERE id = $1', [id])).rows[0];

  const connect = () => connectTo(pgServer.url);

  before(async () => {
    pgServer = await startPostgres();
    nodes.push(...(await Promise.all([startNode(), startNode(), startNode()])));
    db = await connect();
    key = (await register(nodes[0].url, 'acme')).key;
    await until('the key on every node', async () => ((await Promise.all([1, 2].map((i) => api(i)('GET', '/v1/collections')))).every((r) => r.status === 200) ? true : undefined));
    for (const [name, model] of [['bulk', 'none'], ['many', 'none'], ['kb', undefined]] as const) {
      assert.equal((await api(0)('POST', '/v1/collections', model ? { name, model, dimension: DIM } : { name })).status, 201);
    }
    await until('the collections on every node', async () => ((await Promise.all([0, 1, 2].map((i) => api(i)('GET', '/v1/collections/kb')))).every((r) => r.status === 200) ? true : undefined));
  });

  after(async () => {
    await db?.end().catch(() => undefined);
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await pgServer?.stop();
  });

  it('an import whose node is killed (-9) mid-run is finished by another node: every record exactly once, the view done everywhere', async () => {
    const N = 20_000;
    const res = await importTo(0, 'bulk', ndjson(N, 'b'));
    assert.equal(res.status, 202);
    const job = (await res.json()) as { id: string; status: string };
    // Acknowledged: the job and its whole upload are in PostgreSQL.
    const stored = await jobRow(job.id);
    assert.ok(stored && stored.parts >= 1, JSON.stringify(stored));
    // Node 1 took the upload, so node 1 claims it (at once: it was idle).
    const owner = await until('a claim', async () => claimers(job.id)[0], 10_000);
    const running = await until('the import under way, seen from node 2', async () => {
      const r = await api(1)('GET', `/v1/jobs/${job.id}`);
      return r.body.status === 'running' && r.body.done >= 1500 ? r.body : undefined;
    }, 60_000);
    assert.ok(running.done < N, `the import ended before the kill (${running.done} lines): make it larger`);
    nodes[owner].proc.kill('SIGKILL');
    const survivors = [0, 1, 2].filter((i) => i !== owner);
    const done = await until('done after the takeover', async () => {
      const r = await api(survivors[0])('GET', `/v1/jobs/${job.id}`);
      return r.body.status === 'done' || r.body.status === 'failed' ? r.body : undefined;
    }, 120_000);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.total, N);
    assert.equal(done.done, N);
    assert.equal(done.errors, 0);
    // Two claims: the killed node, then one survivor — never two live nodes.
    const claims = claimers(job.id);
    assert.equal(claims.length, 2, `claims by nodes ${claims}`);
    const taker = claims.find((i) => i !== owner)!;
    assert.ok(claims.includes(owner) && survivors.includes(taker), `claims by nodes ${claims}`);
    // The survivor resumed where the killed node's last saved batch ended, not from line 0.
    const resumed = nodes[taker].output().split('\n').find((l) => l.includes('"job claimed"') && l.includes(job.id))!;
    assert.ok(JSON.parse(resumed).resumeAt >= 1000, resumed);
    // Every record exactly once, ids given or generated from the job and line, on both survivors.
    for (const i of survivors) {
      const s = await api(i)('POST', '/v1/collections/bulk/search', { vector: vec(0), k: 1, consistency: 'strong' });
      assert.equal(s.status, 200, JSON.stringify(s.body));
      const ids = new Set<string>();
      let cursor: string | null = null;
      do {
        const page = await api(i)('GET', `/v1/collections/bulk/records?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        for (const r of page.body.records as { id: string }[]) ids.add(r.id);
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.equal(ids.size, N);
      for (let line = 1; line <= N; line++) assert.ok(ids.has((line - 1) % 3 === 2 ? `${job.id}-${line}` : `b${line - 1}`), `line ${line} missing`);
    }
    // Ended in PostgreSQL: released, its upload removed.
    assert.deepEqual(await jobRow(job.id), { status: 'done', owner: null, claims: 2, parts: 0 });
    // The killed node, restarted on its directory, does not run it again.
    nodes[owner] = await startNode(nodes[owner].dataDir);
    assert.equal((await api(owner)('GET', `/v1/jobs/${job.id}`)).body.status, 'done');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(claimers(job.id).filter((i) => i === owner).length, 0);
  });

  it('a document upload job whose node is killed while it embeds is stored by another node', async () => {
    const words = ['harbour', 'ships', 'zebra', 'savanna', 'rocket', 'orbit', 'engine', 'river', 'mountain', 'forest'];
    const text = Array.from({ length: 40_000 }, (_, i) => `${words[i % 10]} ${words[(i * 7) % 10]} ${words[(i * 3) % 10]}.`).join(' ');
    const form = new FormData();
    form.append('id', 'big');
    form.append('file', new Blob([text], { type: 'text/plain' }), 'big.txt');
    const res = await fetch(`${nodes[2].url}/v1/collections/kb/documents/upload?async=true`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    assert.equal(res.status, 202);
    const { job } = (await res.json()) as { job: { id: string } };
    // Node 3 took the upload and, as a rule, claims it at once — but another node's tick can come
    // first (a CI run saw node 1 win): the node that claimed it is killed while it embeds the chunks.
    const seen = await until('the document job running', async () => {
      const r = await api(1)('GET', `/v1/jobs/${job.id}`);
      return r.body.status !== 'queued' ? r.body : undefined;
    });
    assert.equal(seen.status, 'running', `the job ended before the kill: make the document larger (${JSON.stringify(seen)})`);
    const first = await until('the claim in a node log', async () => (claimers(job.id).length > 0 ? claimers(job.id) : undefined));
    assert.equal(first.length, 1, `claimed by nodes ${first}`);
    const node = first[0];
    const survivor = node === 0 ? 1 : 0;
    nodes[node].proc.kill('SIGKILL');
    const done = await until('the document stored after the takeover', async () => {
      const r = await api(survivor)('GET', `/v1/jobs/${job.id}`);
      return r.body.status === 'done' || r.body.status === 'failed' ? r.body : undefined;
    }, 120_000);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.ok(done.result.chunks > 10, JSON.stringify(done.result));
    // A survivor ran it (from the upload in PostgreSQL: the killed node's disk is not theirs).
    const claims = claimers(job.id);
    assert.equal(claims.length, 2, `claims by nodes ${claims}`);
    assert.ok(claims.includes(node) && claims.some((i) => i !== node), `claims by nodes ${claims}`);
    const doc = await api(survivor)('GET', '/v1/collections/kb/documents/big');
    assert.equal(doc.status, 200, JSON.stringify(doc.body).slice(0, 500));
    assert.equal(doc.body.chunks.length, done.result.chunks);
    assert.equal((await jobRow(job.id)).parts, 0);
    nodes[node] = await startNode(nodes[node].dataDir);
  });

  it('concurrent imports through three nodes: each claimed by exactly one node, each record once', async () => {
    const N = 1500;
    const answers = await Promise.all([0, 1, 2, 0, 1, 2].map((node, j) => importTo(node, 'many', ndjson(N, `m${j}-`))));
    const jobs = await Promise.all(answers.map(async (a) => (assert.equal(a.status, 202), ((await a.json()) as { id: string }).id)));
    for (const id of jobs) {
      const v = await until(`${id} done`, async () => {
        const r = await api(1)('GET', `/v1/jobs/${id}`);
        return r.body.status === 'done' ? r.body : undefined;
      }, 120_000);
      assert.equal(v.upserted, N);
      assert.equal(claimers(id).length, 1, `${id} claimed by nodes ${claimers(id)}`);
      assert.equal((await jobRow(id)).claims, 1);
    }
    const s = await api(2)('POST', '/v1/collections/many/search', { vector: vec(0), k: 1, consistency: 'strong' });
    assert.equal(s.status, 200);
    assert.equal((await api(2)('GET', '/v1/collections/many')).body.count, 6 * N);
  });

  it('PostgreSQL restarted under a running import: the job is not failed, it finishes (claimed again, or kept by its node), every record once', async () => {
    const N = 20_000;
    const res = await importTo(1, 'bulk', ndjson(N, 'p'));
    assert.equal(res.status, 202);
    const job = ((await res.json()) as { id: string }).id;
    await until('the import under way', async () => {
      const r = await api(0)('GET', `/v1/jobs/${job}`);
      return r.body.status === 'running' && r.body.done >= 1000 ? true : undefined;
    }, 60_000);
    await db!.end().catch(() => undefined);
    await pgServer.stop();
    await new Promise((r) => setTimeout(r, 2000));
    await pgServer.start();
    db = await connect();
    const done = await until('done after PostgreSQL came back', async () => {
      const r = await api(2)('GET', `/v1/jobs/${job}`).catch(() => null);
      return r?.status === 200 && ['done', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    }, 120_000);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.done, N);
    // A job held by a node goes on while PostgreSQL is away (src/cluster/jobs.ts): if one of its
    // writes met the outage it was left and claimed again; if none did (a CI run saw it), its
    // node kept it. Either way PostgreSQL counts the claims the nodes logged.
    const claims = claimers(job);
    assert.ok(claims.length === 1 || claims.length === 2, `claims by nodes ${claims}`);
    assert.deepEqual(await jobRow(job), { status: 'done', owner: null, claims: claims.length, parts: 0 });
    await api(0)('POST', '/v1/collections/bulk/search', { vector: vec(0), k: 1, consistency: 'strong' });
    const count = (await api(0)('GET', '/v1/collections/bulk')).body.count as number;
    // 20,000 from the first test, 20,000 here: each record once.
    assert.equal(count, 2 * N);
  });

  it('cancel from any node: a queued job at once, a running one by its node; cancelled jobs stay cancelled; other tenants see nothing', async () => {
    // Three large imports keep every node's import lane busy; a fourth waits unclaimed.
    const big = await Promise.all([0, 1, 2].map((node, j) => importTo(node, 'bulk', ndjson(40_000, `c${j}-`))));
    const running = await Promise.all(big.map(async (a) => ((await a.json()) as { id: string }).id));
    await until('three imports claimed', async () => (running.every((id) => claimers(id).length === 1) ? true : undefined), 20_000);
    const waiting = await importTo(0, 'bulk', ndjson(100, 'w'));
    const queued = ((await waiting.json()) as { id: string }).id;
    assert.equal((await jobRow(queued)).owner, null);
    // Another tenant: 404 for a job it does not own, and an empty list.
    const stranger = client(nodes[1].url, (await register(nodes[1].url, 'outsider')).key);
    await until('the stranger on node 2', async () => ((await stranger('GET', '/v1/jobs')).status === 200 ? true : undefined));
    assert.equal((await stranger('GET', `/v1/jobs/${queued}`)).status, 404);
    assert.equal((await stranger('POST', `/v1/jobs/${running[0]}/cancel`)).status, 404);
    assert.deepEqual((await stranger('GET', '/v1/jobs')).body.jobs, []);
    // The queued one, cancelled on node 3: cancelled in the answer itself, its upload gone.
    const c = await api(2)('POST', `/v1/jobs/${queued}/cancel`);
    assert.equal(c.status, 200);
    assert.equal(c.body.status, 'cancelled');
    assert.deepEqual(await jobRow(queued), { status: 'cancelled', owner: null, claims: 0, parts: 0 });
    // The running ones, each cancelled from a node other than its own.
    for (const id of running) {
      const by = (claimers(id)[0] + 1) % 3;
      assert.equal((await api(by)('POST', `/v1/jobs/${id}/cancel`)).status, 200);
    }
    for (const id of running) {
      const v = await until(`${id} cancelled`, async () => {
        const r = await api(0)('GET', `/v1/jobs/${id}`);
        return r.body.status === 'cancelled' ? r.body : undefined;
        // A batch in flight finishes first; on a loaded 2-core machine one took over 10 s once.
      }, 30_000);
      assert.ok(v.done < 40_000, JSON.stringify(v));
    }
    // And they stay so: nobody claims them again.
    await new Promise((r) => setTimeout(r, 1500));
    for (const id of [...running, queued]) {
      assert.equal((await api(1)('GET', `/v1/jobs/${id}`)).body.status, 'cancelled');
      assert.equal(claimers(id).length, id === queued ? 0 : 1);
      assert.equal((await jobRow(id)).parts, 0);
    }
    assert.equal((await api(1)('POST', '/v1/jobs/job_nope/cancel')).status, 404);
  });
});
