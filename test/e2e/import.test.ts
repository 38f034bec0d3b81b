/** Bulk import jobs: progress, bad lines, cancel, isolation, and resume after kill -9 with every record exactly once. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serveProcess } from '../support/process.js';
import { call, client, register, testServer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function upload(url: string, key: string, collection: string, body: string) {
  const res = await fetch(`${url}/v1/collections/${collection}/imports`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body });
  return { status: res.status, body: (await res.json()) as any };
}

async function until(api: ReturnType<typeof client>, id: string, done: (job: any) => boolean, ms = 60_000) {
  const t = Date.now();
  for (;;) {
    const j = (await api('GET', `/v1/jobs/${id}`)).body;
    if (done(j)) return j;
    if (Date.now() - t > ms) throw new Error(`job ${id} stuck: ${JSON.stringify(j)}`);
    await sleep(20);
  }
}

const vecLines = (n: number, from = 0) =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    // Every third record has no id: the job names it.
    return JSON.stringify({ ...(i % 3 === 0 ? {} : { id: `r${i}` }), vector: [i % 7, i % 11, 1, i % 5], metadata: { i } });
  }).join('\n');

describe('import jobs', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let key: string;
  let api: ReturnType<typeof client>;
  before(async () => {
    server = await testServer({ VECTRA_RATE_LIMIT: '1000000' });
    key = (await register(server.url)).key;
    api = client(server.url, key);
    await api('POST', '/v1/collections', { name: 'v', model: 'none', dimension: 4 });
    await api('POST', '/v1/collections', { name: 'docs' });
  });
  after(() => server?.close());

  it('runs in the background to done, reporting progress and bad lines by number', async () => {
    const body = [JSON.stringify({ id: 'a', text: 'first' }), 'not json', JSON.stringify({ id: 'b', vector: [1] }), '', JSON.stringify({ text: 'no id here' }), JSON.stringify({ id: null, text: 'null id' })].join('\n');
    const created = await upload(server.url, key, 'docs', body);
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.total, 6);
    assert.ok(['queued', 'running', 'done'].includes(created.body.status));
    const job = await until(api, created.body.id, (j) => j.status === 'done');
    assert.equal(job.done, 6);
    assert.equal(job.upserted, 3);
    assert.equal(job.errors, 2);
    assert.deepEqual(job.errorSamples.map((e: { line: number; error: { code: string } }) => [e.line, e.error.code]), [[2, 'INVALID_JSON'], [3, 'DIMENSION_MISMATCH']]);
    assert.ok(job.finishedAt);
    assert.equal((await api('GET', `/v1/collections/docs/records/${created.body.id}-5`)).body.text, 'no id here');
    assert.equal((await api('GET', `/v1/collections/docs/records/${created.body.id}-6`)).body.text, 'null id', 'a null id is named like a missing one');
    const listed = await api('GET', '/v1/jobs');
    assert.ok(listed.body.jobs.some((j: { id: string }) => j.id === created.body.id));
  });

  it('cancels; another tenant cannot see, cancel or even detect the job', async () => {
    const created = await upload(server.url, key, 'v', vecLines(40_000));
    const cancelled = await api('POST', `/v1/jobs/${created.body.id}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    await sleep(300);
    const job = (await api('GET', `/v1/jobs/${created.body.id}`)).body;
    assert.equal(job.status, 'cancelled');
    assert.ok(job.done < job.total, JSON.stringify(job));

    const other = client(server.url, (await register(server.url, 'other')).key);
    const seen = await other('GET', `/v1/jobs/${created.body.id}`);
    const unknown = await other('GET', '/v1/jobs/job_doesnotexist');
    assert.equal(seen.status, 404);
    assert.deepEqual(seen.body.error.code, unknown.body.error.code);
    assert.equal((await other('POST', `/v1/jobs/${created.body.id}/cancel`)).status, 404);
    assert.deepEqual((await other('GET', '/v1/jobs')).body.jobs, []);
  });

  it('refuses what it cannot import with a clear 4xx', async () => {
    assert.equal((await upload(server.url, key, 'nope', '{}')).status, 404);
    assert.equal((await upload(server.url, key, 'v', '')).status, 400);
    const json = await call(server.url, 'POST', '/v1/collections/v/imports', { key, body: { records: [] } });
    assert.equal(json.status, 415);
  });
});

describe('import job killed mid-way', () => {
  it('resumes after kill -9 and ends with every record exactly once', async () => {
    const dir = tempDir();
    const n = 30_000;
    const s1 = await serveProcess(dir);
    const { key } = await register(s1.url);
    const api1 = client(s1.url, key);
    await api1('POST', '/v1/collections', { name: 'v', model: 'none', dimension: 4 });
    const created = await upload(s1.url, key, 'v', vecLines(n));
    assert.equal(created.status, 202);
    const mid = await until(api1, created.body.id, (j) => j.done >= 1000 || j.status === 'done');
    assert.ok(mid.done < n, `the job finished before it could be killed (${JSON.stringify(mid)}); make it bigger`);
    s1.proc.kill('SIGKILL');
    await s1.exited;

    const s2 = await serveProcess(dir);
    const api2 = client(s2.url, key);
    const job = await until(api2, created.body.id, (j) => j.status === 'done' || j.status === 'failed');
    assert.equal(job.status, 'done', JSON.stringify(job));
    assert.equal(job.done, n);
    assert.equal(job.errors, 0);
    assert.equal((await api2('GET', '/v1/collections/v')).body.count, n, 'no record lost, none doubled');
    for (const i of [0, 1, 2999, 3000, n - 1]) {
      const id = i % 3 === 0 ? `${created.body.id}-${i + 1}` : `r${i}`;
      const r = await api2('GET', `/v1/collections/v/records/${id}`);
      assert.equal(r.status, 200, id);
      assert.deepEqual(r.body.metadata, { i });
    }
    s2.proc.kill('SIGTERM');
    assert.deepEqual(await s2.exited, { code: 0, signal: null });
  });
});
