/**
 * The real `vectra serve` process: a restart keeps everything; SIGTERM drains and exits 0;
 * SIGKILL right after acknowledged upserts loses none of them.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { serveProcess } from '../support/process.js';
import { client, register } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

const serve = (dataDir: string) => serveProcess(dataDir);

describe('server process lifecycle', () => {
  it('SIGTERM drains and exits 0; a restart preserves tenants, keys, collections and records', async () => {
    const dir = tempDir();
    const s1 = await serve(dir);
    const { key } = await register(s1.url);
    const api = client(s1.url, key);
    await api('POST', '/v1/collections', { name: 'notes' });
    const records = Array.from({ length: 50 }, (_, i) => ({ id: `n${i}`, text: `note number ${i} about ${i % 2 ? 'cats' : 'trains'}`, metadata: { i } }));
    assert.equal((await api('POST', '/v1/collections/notes/records', { records })).status, 200);
    const before = (await api('POST', '/v1/collections/notes/search', { text: 'cats', k: 5, return: 'id' })).body.results;
    // A request in flight when SIGTERM arrives still gets its answer: send half its body,
    // signal, then the rest.
    const body = JSON.stringify({ records: [{ id: 'late', text: 'arrived during shutdown' }] });
    const status = new Promise<number>((resolve, reject) => {
      const req = request(`${s1.url}/v1/collections/notes/records`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        s1.proc.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    assert.equal(await status, 200);
    assert.deepEqual(await s1.exited, { code: 0, signal: null });

    const s2 = await serve(dir);
    const api2 = client(s2.url, key);
    const desc = await api2('GET', '/v1/collections/notes');
    assert.equal(desc.status, 200);
    assert.equal(desc.body.count, 51);
    assert.equal((await api2('GET', '/v1/collections/notes/records/n7')).body.metadata.i, 7);
    assert.deepEqual((await api2('POST', '/v1/collections/notes/search', { text: 'cats', k: 5, return: 'id' })).body.results, before);
    s2.proc.kill('SIGTERM');
    assert.equal((await s2.exited).code, 0);
  });

  it('SIGKILL after acknowledged upserts loses nothing', async () => {
    const dir = tempDir();
    const s1 = await serve(dir);
    const { key } = await register(s1.url);
    const api = client(s1.url, key);
    await api('POST', '/v1/collections', { name: 'log', model: 'none', dimension: 4, metric: 'l2' });
    const acked: string[] = [];
    const deadline = Date.now() + 1500;
    for (let n = 0; Date.now() < deadline; n++) {
      const ids = [0, 1, 2, 3, 4].map((j) => `r${n}-${j}`);
      const r = await api('POST', '/v1/collections/log/records', { records: ids.map((id, j) => ({ id, vector: [n, j, 1, 0.5], metadata: { n } })) });
      if (r.status === 200) acked.push(...ids);
    }
    s1.proc.kill('SIGKILL');
    await s1.exited;
    const s2 = await serve(dir);
    const api2 = client(s2.url, key);
    assert.equal((await api2('GET', '/v1/collections/log')).body.count, acked.length);
    for (const id of acked.filter((_, i) => i % 3 === 0)) {
      assert.equal((await api2('GET', `/v1/collections/log/records/${id}`)).status, 200, id);
    }
    const [n, j] = acked[acked.length - 1].slice(1).split('-').map(Number);
    const hit = await api2('POST', '/v1/collections/log/search', { vector: [n, j, 1, 0.5], k: 1, return: 'id' });
    assert.equal(hit.body.results[0].id, acked[acked.length - 1]);
    s2.proc.kill('SIGTERM');
    await s2.exited;
  });
});
