/** `vectra import` and `vectra export` against a real server, as a user runs them. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../support/glove.js';
import { client, register, testServer } from '../support/server.js';
import { closedPortUrl } from '../support/net.js';
import { tempDir } from '../support/tmp.js';

let server: Awaited<ReturnType<typeof testServer>>;
let key: string;
let api: ReturnType<typeof client>;
const dir = tempDir();

before(async () => {
  server = await testServer({ VECTRA_RATE_LIMIT: '1000000' });
  key = (await register(server.url)).key;
  api = client(server.url, key);
  await api('POST', '/v1/collections', { name: 'jobs' });
  await api('POST', '/v1/collections', { name: 'vec', model: 'none', dimension: 3 });
});
after(() => server?.close());

function vectra(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], { env: { ...process.env, VECTRA_URL: server.url, VECTRA_API_KEY: key, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('vectra import / export', () => {
  it('CSV: a header row, text and id columns by name, other columns as typed metadata', async () => {
    const file = join(dir, 'jobs.csv');
    writeFileSync(file, 'ref,description,city,wage,remote\nw1,"Warehouse job, $15 per hour",Austin,15,false\nw2,Line cook,Boston,12.5,true\nw3,"Quote ""inside"" text",Paris,,false\n');
    const r = await vectra(['import', file, '--collection', 'jobs', '--text-field', 'description', '--id-field', 'ref']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /imported 3 of 3 records into "jobs" in [\d.]+ s \([\d,]+ records\/s\); 0 failed/);
    const w1 = (await api('GET', '/v1/collections/jobs/records/w1')).body;
    assert.equal(w1.text, 'Warehouse job, $15 per hour');
    assert.deepEqual(w1.metadata, { city: 'Austin', wage: 15, remote: false });
    assert.deepEqual((await api('GET', '/v1/collections/jobs/records/w3')).body.metadata, { city: 'Paris', remote: false });
    const f = await api('POST', '/v1/collections/jobs/search', { text: 'job', filter: { wage: { $gte: 13 } }, return: 'id' });
    assert.deepEqual(f.body.results.map((h: { id: string }) => h.id), ['w1']);
  });

  it('CSV with id, text and vector columns: ids and texts stay text, a bad vector cell is one failed row', async () => {
    const file = join(dir, 'vec.csv');
    writeFileSync(file, 'id,text,vector,n\n1.0,2024,"[1,2,3]",7\n1,plain,"[0,1,0]",8\n2,bad,"[1,2",9\n');
    const r = await vectra(['import', file, '--collection', 'vec']);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stdout, /imported 2 of 3 records/);
    assert.match(r.stdout, /line 4: INVALID_RECORD: line 4: the "vector" cell is not a JSON array/);
    const one = (await api('GET', '/v1/collections/vec/records/1.0')).body;
    assert.equal(one.text, '2024');
    assert.deepEqual(one.metadata, { n: 7 });
    assert.equal((await api('GET', '/v1/collections/vec/records/1')).body.text, 'plain');
    await api('POST', '/v1/collections/vec/records/delete', { ids: ['1.0', '1'] });
  });

  it('NDJSON in several requests (--batch), bad rows reported by their line in the file, exit code 2', async () => {
    const file = join(dir, 'v.ndjson');
    const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify({ id: `v${i}`, vector: [i, 1, 2], metadata: { i } }));
    lines[7] = '{oops';
    lines[18] = JSON.stringify({ id: 'short', vector: [1] });
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await vectra(['import', file, '--collection', 'vec', '--batch', '10']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /imported 23 of 25 records/);
    assert.match(r.stdout, /line 8: INVALID_JSON/);
    assert.match(r.stdout, /line 19: DIMENSION_MISMATCH: line 19\.vector has 1 dimensions/);
    assert.equal((await api('GET', '/v1/collections/vec')).body.count, 23);
  });

  it('JSON arrays and {"records": [...]}; export writes NDJSON that imports back the same', async () => {
    writeFileSync(join(dir, 'a.json'), JSON.stringify([{ id: 'x1', vector: [1, 0, 0], text: 'one' }, { id: 'x2', vector: [0, 1, 0], metadata: { tag: 'b' } }]));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ records: [{ id: 'x3', vector: [0, 0, 1] }] }));
    assert.equal((await vectra(['import', join(dir, 'a.json'), '--collection', 'vec'])).code, 0);
    assert.equal((await vectra(['import', join(dir, 'b.json'), '--collection', 'vec'])).code, 0);
    const out = join(dir, 'export.ndjson');
    const e = await vectra(['export', '--collection', 'vec', '--out', out, '--include-vector']);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stderr, /exported 26 records/);
    const exported = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(exported.length, 26);
    assert.deepEqual(exported.find((r) => r.id === 'x2'), { id: 'x2', metadata: { tag: 'b' }, vector: [0, 1, 0] });
    // Round trip into a fresh collection.
    await api('POST', '/v1/collections', { name: 'copy', model: 'none', dimension: 3 });
    const back = await vectra(['import', out, '--collection', 'copy']);
    assert.equal(back.code, 0, back.stdout);
    const again = join(dir, 'again.ndjson');
    await vectra(['export', '--collection', 'copy', '--out', again, '--include-vector']);
    assert.equal(readFileSync(again, 'utf8'), readFileSync(out, 'utf8'));
    const stdout = await vectra(['export', '--collection', 'copy']);
    assert.equal(stdout.stdout.trim().split('\n').length, 26);
  });

  it('clear failures: no key, a wrong key, an unknown collection, an unknown file type', async () => {
    const file = join(dir, 'v.ndjson');
    const noKey = await vectra(['import', file, '--collection', 'vec'], { VECTRA_API_KEY: '' });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /VECTRA_API_KEY/);
    const badKey = await vectra(['import', file, '--collection', 'vec'], { VECTRA_API_KEY: 'vk_nope' });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /API key/i);
    const missing = await vectra(['import', file, '--collection', 'missing']);
    assert.match(missing.stderr, /collection "missing" does not exist/);
    writeFileSync(join(dir, 'x.txt'), 'hello');
    assert.match((await vectra(['import', join(dir, 'x.txt'), '--collection', 'vec'])).stderr, /unknown file type/);
  });

  it('a file that is not UTF-8 is refused with its line, not sent as U+FFFD', async () => {
    await api('POST', '/v1/collections', { name: 'enc', model: 'none', dimension: 3 });
    // NDJSON: the bad line fails like any bad line; the others are imported.
    const nd = join(dir, 'latin1.ndjson');
    writeFileSync(nd, Buffer.concat([Buffer.from('{"id":"n1","vector":[1,2,3]}\n'), Buffer.from('{"id":"n2","vector":[1,2,3],"metadata":{"city":"Zürich"}}\n', 'latin1'), Buffer.from('{"id":"n3","vector":[1,2,3]}\n')]));
    const r = await vectra(['import', nd, '--collection', 'enc']);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stdout, /imported 2 of 3 records/);
    assert.match(r.stdout, /line 2: INVALID_ENCODING: line 2 is not valid UTF-8 \(byte 0xfc at offset 49 of the line\)/);
    assert.equal((await api('GET', '/v1/collections/enc/records/n2')).status, 404);
    // CSV and JSON are read whole: the file is refused before anything is sent.
    const csv = join(dir, 'latin1.csv');
    writeFileSync(csv, Buffer.from('id,vector,city\nc1,"[1,2,3]",Austin\nc2,"[1,2,3]",Zürich\n', 'latin1'));
    const c = await vectra(['import', csv, '--collection', 'enc']);
    assert.equal(c.code, 1, c.stdout);
    assert.match(c.stderr, /latin1\.csv is not valid UTF-8 at line 3 \(byte 0xfc at offset 49 of the file\); save it as UTF-8/);
    const json = join(dir, 'latin1.json');
    writeFileSync(json, Buffer.from('[\n{"id": "j1", "vector": [1, 2, 3]},\n{"id": "j2", "vector": [1, 2, 3], "metadata": {"city": "Zürich"}}\n]', 'latin1'));
    const j = await vectra(['import', json, '--collection', 'enc']);
    assert.equal(j.code, 1, j.stdout);
    assert.match(j.stderr, /latin1\.json is not valid UTF-8 at line 3/);
    assert.equal((await api('GET', '/v1/collections/enc')).body.count, 2, 'only the two good NDJSON lines');
  });

  it('UTF-8 characters cut by the file reader\'s chunks are read whole', async () => {
    // The file is read in 64 KiB chunks; most of its bytes are inside 4-byte characters.
    const note = (i: number) => `${'😀'.repeat(12)}${'é'.repeat(i % 3)}`;
    const rows = ['id,vector,note', ...Array.from({ length: 4000 }, (_, i) => `u${i},"[1,2,3]",${note(i)}`)];
    const bytes = Buffer.from(`${rows.join('\n')}\n`);
    const cut = [1, 2, 3, 4].filter((k) => (bytes[k * 65536] & 0xc0) === 0x80);
    assert.ok(cut.length >= 2, 'the test needs characters cut at chunk boundaries');
    const file = join(dir, 'utf8.csv');
    writeFileSync(file, bytes);
    const r = await vectra(['import', file, '--collection', 'enc']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /imported 4,000 of 4,000 records/);
    for (const k of cut) {
      const line = bytes.subarray(0, k * 65536).toString('latin1').split('\n').length;
      const id = `u${line - 2}`;
      assert.deepEqual((await api('GET', `/v1/collections/enc/records/${id}`)).body.metadata, { note: note(line - 2) }, id);
    }
  });
});

describe('vectra import / export against a server that cannot be reached', () => {
  const file = join(dir, 'one.ndjson');
  before(() => writeFileSync(file, `${JSON.stringify({ id: 'a', vector: [1, 2, 3] })}\n`));

  it('says which URL, why, and what to check (is it running, --url, VECTRA_URL), naming where the URL came from', async () => {
    const closed = (await closedPortUrl()).replace(/\/$/, '');
    const fromEnv = await vectra(['import', file, '--collection', 'vec'], { VECTRA_URL: closed });
    assert.equal(fromEnv.code, 1);
    assert.equal(fromEnv.stdout, '');
    assert.equal(
      fromEnv.stderr,
      `vectra: cannot reach the Vectra server at ${closed} (connect ECONNREFUSED ${closed.slice('http://'.length)}). Is the server running (vectra serve), and on this address? This URL comes from VECTRA_URL: point the CLI at your server with --url <url> or VECTRA_URL.\n`,
    );
    const fromFlag = await vectra(['export', '--collection', 'vec', '--url', closed]);
    assert.equal(fromFlag.code, 1);
    assert.match(fromFlag.stderr, new RegExp(`^vectra: cannot reach the Vectra server at ${closed.replace(/\./g, '\\.')} \\(connect ECONNREFUSED .*\\)\\. Is the server running .* This URL comes from --url: .*--url <url> or VECTRA_URL\\.\\n$`));
    assert.doesNotMatch(fromFlag.stderr, /fetch failed/);
  });

  it('a URL that is not one says so, naming the flag and the variable', async () => {
    const r = await vectra(['export', '--collection', 'vec'], { VECTRA_URL: 'localhost-8080' });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'vectra: the server URL "localhost-8080" (--url or VECTRA_URL) is not a URL; give one like http://127.0.0.1:8080\n');
  });
});
