/** NDJSON streaming ingest and slow-body limits, against a real server on a real port. */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ndjsonLines } from '../../src/services/ingest.js';
import { client, register, testServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof testServer>>;
let key: string;
let api: ReturnType<typeof client>;

before(async () => {
  server = await testServer({ VECTRA_REQUEST_TIMEOUT_MS: '600', VECTRA_RATE_LIMIT: '100000' });
  key = (await register(server.url)).key;
  api = client(server.url, key);
  assert.equal((await api('POST', '/v1/collections', { name: 'docs' })).status, 201);
  assert.equal((await api('POST', '/v1/collections', { name: 'vec', model: 'none', dimension: 3 })).status, 201);
});
after(() => server?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POST chunks with pauses between them; resolves with the NDJSON answer's objects. */
function stream(collection: string, chunks: (string | Buffer | number)[]): Promise<{ status: number; lines: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const u = new URL(`/v1/collections/${collection}/records/stream`, server.url);
    const req = request(u, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, lines: text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) }));
    });
    req.on('error', reject);
    void (async () => {
      for (const c of chunks) {
        if (typeof c === 'number') await sleep(c);
        else if (!req.destroyed) req.write(c);
      }
      req.end();
    })();
  });
}

describe('NDJSON streaming ingest', () => {
  it('bad lines in the middle are reported by line number; every good line is stored', async () => {
    const body = [
      JSON.stringify({ id: 'a', text: 'the first good line' }),
      '{"id": "broken", "text": ',
      '',
      JSON.stringify({ id: 'b', vector: [1, 2] }),
      '[1, 2, 3]',
      JSON.stringify({ id: 'c', text: 'crlf line', metadata: { n: 1 } }) + '\r',
      JSON.stringify({ id: 'd', text: 'x', colour: 'red' }),
      JSON.stringify({ id: 'e', metadata: { only: 'metadata' } }),
      JSON.stringify({ id: 'f', text: 'après le déjeuner ☕' }),
      JSON.stringify({ id: 'g', text: 'no newline at the end' }),
    ].join('\n');
    const r = await stream('docs', [body]);
    assert.equal(r.status, 200);
    const byLine = Object.fromEntries(r.lines.filter((l) => 'line' in l).map((l) => [l.line, l]));
    assert.deepEqual(Object.keys(byLine).map(Number), [1, 2, 4, 5, 6, 7, 8, 9, 10], 'blank line 3 is skipped but counted');
    assert.equal(byLine[1].id, 'a');
    assert.equal((byLine[2].error as { code: string }).code, 'INVALID_JSON');
    assert.equal((byLine[4].error as { code: string }).code, 'DIMENSION_MISMATCH');
    assert.equal((byLine[5].error as { code: string }).code, 'INVALID_RECORD');
    assert.equal(byLine[6].id, 'c');
    assert.match((byLine[7].error as { message: string }).message, /line 7: unknown field "colour"/);
    assert.match((byLine[8].error as { message: string }).message, /line 8: needs "text"/);
    assert.deepEqual(r.lines.at(-1), { done: true, lines: 9, upserted: 4, errors: 5 });
    for (const id of ['a', 'c', 'f', 'g']) assert.equal((await api('GET', `/v1/collections/docs/records/${id}`)).status, 200, id);
    for (const id of ['broken', 'b', 'd', 'e']) assert.equal((await api('GET', `/v1/collections/docs/records/${id}`)).status, 404, id);
    assert.equal((await api('GET', '/v1/collections/docs/records/f')).body.text, 'après le déjeuner ☕');
    const hit = await api('POST', '/v1/collections/docs/search', { text: 'crlf', mode: 'keyword', return: 'id' });
    assert.deepEqual(hit.body.results.map((h: { id: string }) => h.id), ['c']);
  });

  it('many batches, split at arbitrary bytes (inside lines and inside UTF-8 characters)', async () => {
    const n = 2600;
    const body = Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${i}`, vector: [i, 1, 0.5], metadata: { i, s: 'ünïcødé ✓' } })).join('\n') + '\n');
    const chunks: Buffer[] = [];
    let seed = 3;
    for (let at = 0; at < body.length; ) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const len = 1 + (seed % 5000);
      chunks.push(body.subarray(at, at + len));
      at += len;
    }
    const r = await stream('vec', chunks);
    assert.deepEqual(r.lines.at(-1), { done: true, lines: n, upserted: n, errors: 0 });
    assert.deepEqual(r.lines.slice(0, -1).map((l) => l.id), Array.from({ length: n }, (_, i) => `r${i}`));
    assert.equal((await api('GET', '/v1/collections/vec')).body.count, n);
    assert.deepEqual((await api('GET', '/v1/collections/vec/records/r2599')).body.metadata, { i: 2599, s: 'ünïcødé ✓' });
  });

  it('a slow but steady stream is not cut off; one that goes quiet is, keeping what it stored', async () => {
    // 6 chunks 250 ms apart: 1.5 s in all, over twice the 600 ms limit, never idle that long.
    const steady = await stream('vec', [0, 1, 2, 3, 4, 5].flatMap((i) => [`${JSON.stringify({ id: `s${i}`, vector: [1, 2, 3] })}\n`, 250]));
    assert.deepEqual(steady.lines.at(-1), { done: true, lines: 6, upserted: 6, errors: 0 });
    const quiet = await stream('vec', [`${JSON.stringify({ id: 'q1', vector: [1, 2, 3] })}\n`, 1500, `${JSON.stringify({ id: 'q2', vector: [1, 2, 3] })}\n`]);
    const last = quiet.lines.at(-1) as { done: boolean; error: { code: string } };
    assert.equal(last.done, false);
    assert.equal(last.error.code, 'REQUEST_TIMEOUT');
    assert.equal((await api('GET', '/v1/collections/vec/records/q2')).status, 404);
  });

  it('a long upload to a client that reads slowly: the answer stream keeps a bounded number of listeners, and no MaxListenersExceededWarning', async () => {
    // Watch every PassThrough the route writes its answer into: how many drain/close listeners it carries.
    const most = { drain: 0, close: 0, waits: 0 };
    const write = PassThrough.prototype.write;
    PassThrough.prototype.write = function (this: PassThrough, ...args: Parameters<PassThrough['write']>) {
      const ok = write.apply(this, args);
      if (!ok) most.waits++;
      most.drain = Math.max(most.drain, this.listenerCount('drain'));
      most.close = Math.max(most.close, this.listenerCount('close'));
      return ok;
    } as PassThrough['write'];
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const n = 20_000;
      const id = (i: number) => `${'x'.repeat(200)}-${i}`; // long ids: a large answer, so the reader falls behind
      const body = Array.from({ length: n }, (_, i) => JSON.stringify({ id: id(i), vector: [i, 1, 2] })).join('\n');
      const answer = await new Promise<string>((resolve, reject) => {
        const u = new URL('/v1/collections/vec/records/stream', server.url);
        const req = request(u, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' } }, (res) => {
          let text = '';
          let unpaused = 0;
          res.setEncoding('utf8');
          // A slow reader: a pause after every 64 KB it takes.
          res.on('data', (d: string) => {
            text += d;
            unpaused += d.length;
            if (unpaused < 65536) return;
            unpaused = 0;
            res.pause();
            setTimeout(() => res.resume(), 3);
          });
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end(body);
      });
      const lines = answer.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.deepEqual(lines.at(-1), { done: true, lines: n, upserted: n, errors: 0 });
      assert.equal(lines.length, n + 1);
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      assert.ok(most.waits >= 20, `the reader held the stream back (${most.waits} full writes)`);
      assert.ok(most.drain <= 2 && most.close <= 4, `listeners stayed bounded: ${JSON.stringify(most)}`);
      assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
    } finally {
      PassThrough.prototype.write = write;
      process.off('warning', onWarning);
      await api('POST', '/v1/collections/vec/records/delete', { filter: { $not: { missing: { $exists: true } } } }).catch(() => undefined);
    }
  });

  it('JSON instead of NDJSON, or an unknown collection: a clear 4xx before anything streams', async () => {
    const json = await api('POST', '/v1/collections/vec/records/stream', { records: [] });
    assert.equal(json.status, 415);
    const missing = await stream('nope', ['{}\n']);
    assert.equal(missing.status, 404);
  });
});

describe('slow request bodies on ordinary routes', () => {
  it('a body that stops arriving gets 408 in the error envelope and the connection closes', async () => {
    const u = new URL(server.url);
    const answer = await new Promise<string>((resolve) => {
      const sock = connect(Number(u.port), u.hostname, () => {
        sock.write(`POST /v1/collections/vec/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"vector": [1,`);
      });
      let text = '';
      sock.setEncoding('utf8');
      sock.on('data', (d) => (text += d));
      sock.on('close', () => resolve(text));
    });
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"REQUEST_TIMEOUT"/);
  });

  it('a slow handler is not a slow body: the limit covers receiving only', async () => {
    // A benchmark of 2,000 queries takes well over the 600 ms limit; its tiny body arrived at once.
    const t = performance.now();
    const r = await api('POST', '/v1/models/benchmark', { models: ['glove-100d-v2'], queries: 2000 });
    assert.ok(r.status === 200 || r.status === 503, JSON.stringify(r.body)); // 503 where WordNet is not installed
    if (r.status === 200) assert.ok(performance.now() - t > 600, 'the handler ran past the body limit');
  });
});

describe('line splitter', () => {
  it('keeps no more than the line limit in memory and reports long lines', async () => {
    async function* src() {
      yield Buffer.from('{"a":1}\n' + 'x'.repeat(50));
      yield Buffer.from('y'.repeat(60) + '\n{"b":2}');
    }
    const got = [];
    for await (const l of ndjsonLines(src(), 100)) got.push(l);
    assert.deepEqual(got, [
      { line: 1, end: 8, text: '{"a":1}' },
      { line: 2, end: 119, error: { code: 'LINE_TOO_LONG', message: 'line 2 is longer than 100 bytes' } },
      { line: 3, end: 126, text: '{"b":2}' },
    ]);
    // Resuming from a line's end offset numbers the next lines on.
    async function* rest() {
      yield Buffer.from('{"b":2}');
    }
    const resumed = [];
    for await (const l of ndjsonLines(rest(), 100, { line: 2, offset: 119 })) resumed.push(l);
    assert.deepEqual(resumed, [{ line: 3, end: 126, text: '{"b":2}' }]);
  });
});
