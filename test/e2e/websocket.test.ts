/**
 * /v1/ws over a real socket (the `ws` client against a real server on a real port): both ways
 * to authenticate, every action answering with its request's id, errors in the API's envelope,
 * scopes and revocation, subscribe-from-seq with no gap and no duplicate while writes go on,
 * tenants that never see each other, and the limits (message size, in flight, connections per
 * key, slow readers, authentication time).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serveProcess } from '../support/process.js';
import { call, register, testServer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';
import { Client } from '../support/ws-client.js';

const vec = (i: number) => [Math.cos(i), Math.sin(i), 1];

describe('WebSocket /v1/ws', () => {
  it('authenticates by header or by a first auth message; a bad key is refused before or at auth', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'ws-auth');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });

    const byHeader = await Client.open(s.url, { authorization: `Bearer ${key}` });
    assert.deepEqual((await byHeader.request('ping')).ok, true);
    assert.equal((await byHeader.request('upsert', 'c', { records: [{ id: 'a', vector: vec(1) }] })).result.seq, 1);
    byHeader.ws.close();

    const byMessage = await Client.open(s.url);
    const early = await byMessage.request('get', 'c', { id: 'a' });
    assert.equal(early.error.code, 'MISSING_API_KEY');
    byMessage.send({ type: 'auth', apiKey: key });
    await byMessage.wait((m) => m.type === 'auth' && m.ok === true);
    assert.equal((await byMessage.request('get', 'c', { id: 'a' })).result.id, 'a');
    byMessage.ws.close();

    // A bad key in the headers: the upgrade itself is refused with the API's 401.
    await assert.rejects(Client.open(s.url, { authorization: 'Bearer vk_nope' }), /Unexpected server response: 401/);
    const bad = await Client.open(s.url);
    bad.send({ type: 'auth', apiKey: 'vk_nope' });
    assert.equal((await bad.closed).code, 4401);
  });

  it('answers every action with its id, errors in the API envelope, in any order of completion', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'ws-actions');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const c = await Client.open(s.url, { authorization: `Bearer ${key}` });

    const up = await c.request('upsert', 'c', { records: [0, 1, 2, 3].map((i) => ({ id: `r${i}`, vector: vec(i), metadata: { i } })) });
    assert.deepEqual(up.result, { ids: ['r0', 'r1', 'r2', 'r3'], upserted: 4, seq: 4 });
    const found = await c.request('search', 'c', { vector: vec(2), k: 2, filter: { i: { $gte: 1 } } });
    assert.equal(found.ok, true);
    assert.equal(found.result.results[0].id, 'r2');
    const got = await c.request('get', 'c', { id: 'r3', includeVector: true });
    assert.equal(got.result.vector.length, 3);
    assert.deepEqual((await c.request('delete', 'c', { id: 'r3' })).result, { seq: 5 });
    assert.deepEqual((await c.request('delete', 'c', { ids: ['r0', 'r1'] })).result, { deleted: 2, seq: 7 });
    assert.deepEqual((await c.request('delete', 'c', { filter: { i: 2 } })).result, { deleted: 1, seq: 8 });

    const missing = await c.request('get', 'c', { id: 'r3' });
    assert.deepEqual([missing.ok, missing.error.code, missing.error.status], [false, 'RECORD_NOT_FOUND', 404]);
    assert.equal((await c.request('search', 'c', { vector: [1, 2] })).error.code, 'DIMENSION_MISMATCH');
    assert.equal((await c.request('search', 'nope', { vector: vec(1) })).error.code, 'COLLECTION_NOT_FOUND');
    assert.equal((await c.request('upsert', 'c', { records: [{ id: 'x', vector: vec(1), colour: 1 }] })).error.code, 'INVALID_ARGUMENT');
    assert.match((await c.request('fly', 'c')).error.message, /"action" must be one of/);
    assert.match((await c.request('search', '../x', {})).error.message, /collection name/);
    assert.match((await c.request('get', 'c', { id: 'a', colour: 1 })).error.message, /unknown field "colour"/);
    c.send('{not json');
    assert.equal((await c.wait((m) => m.error?.code === 'INVALID_JSON')).id, null);
    c.send({ action: 'ping' });
    assert.match((await c.wait((m) => m.id === null && /needs an "id"/.test(m.error?.message))).error.code, /INVALID_ARGUMENT/);

    // Ten searches at once: each answer carries its own id.
    const ids = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const id of ids) c.send({ id, action: 'search', collection: 'c', body: { vector: vec(1), k: 1, return: 'id' } });
    const answers = await Promise.all(ids.map((id) => c.wait((m) => m.id === id)));
    assert.ok(answers.every((a) => a.ok === true));
    c.ws.close();
  });

  it('a search answers exactly what HTTP answers — results, errors and messages — and shares the rate-limit budget', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'ws-parity');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 't' } });
    const texts = ['barista at a coffee shop', 'line cook in a busy kitchen', 'coffee roaster apprentice', 'night nurse at the hospital', 'software engineer, remote'];
    await call(s.url, 'POST', '/v1/collections/t/records', { key, body: { records: texts.map((text, i) => ({ id: `t${i}`, text, metadata: { i, city: i % 2 ? 'Austin' : 'Boston', tags: ['a', `t${i}`] } })) } });
    const c = await Client.open(s.url, { authorization: `Bearer ${key}` });
    const bodies: unknown[] = [
      { text: 'coffee', k: 3 },
      { text: 'coffee', k: 3, return: 'id' },
      { text: 'kitchen work', filter: { city: 'Boston', i: { $gte: 1 } } },
      { text: 'coffee shop', mode: 'keyword', highlight: true },
      { text: 'coffee roaster', mode: 'hybrid', fusion: { type: 'weighted', alpha: 0.5 } },
      { text: 'coffee', rerank: { type: 'mmr', lambda: 0.5 }, k: 2 },
      { vector: Array.from({ length: 100 }, (_, i) => Math.sin(i)), k: 2, includeVector: true },
      // errors, each with its message
      { text: 'coffee', k: 0 },
      { text: 'coffee', colour: 'red' },
      { vector: [1, 2, 3] },
      { text: 'coffee', filter: { $bogus: 1 } },
      { k: 3 },
      'not an object',
    ];
    const strip = (b: any) => (b && typeof b === 'object' && 'took_ms' in b ? { ...b, took_ms: 0 } : b);
    for (const body of bodies) {
      const http = await call(s.url, 'POST', '/v1/collections/t/search', { key, body });
      const ws = await c.request('search', 't', body);
      if (http.status === 200) assert.deepEqual(strip(ws.result), strip(http.body), JSON.stringify(body));
      else assert.deepEqual(ws.error, { ...http.body.error, status: http.status }, JSON.stringify(body));
    }
    const missing = await c.request('search', 'nope', { text: 'x' });
    assert.deepEqual(missing.error, { ...(await call(s.url, 'POST', '/v1/collections/nope/search', { key, body: { text: 'x' } })).body.error, status: 404 });
    c.ws.close();

    // One budget per key across HTTP and the socket.
    const limited = await testServer({ VECTRA_RATE_LIMIT: '6' });
    const l = await register(limited.url, 'ws-rate');
    await call(limited.url, 'POST', '/v1/collections', { key: l.key, body: { name: 'c', model: 'none', dimension: 3 } });
    const lc = await Client.open(limited.url, { authorization: `Bearer ${l.key}` });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(limited.url, 'POST', '/v1/collections/c/search', { key: l.key, body: { vector: vec(i) } })).status);
    for (let i = 0; i < 4; i++) {
      const r = await lc.request('search', 'c', { vector: vec(i) });
      statuses.push(r.ok ? 200 : r.error.status);
      if (!r.ok) assert.match(r.error.message, /rate limit of 6 requests per minute exceeded/);
    }
    // The create, the socket's upgrade and four HTTP searches take the six: the socket's searches are over.
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429]);
    lc.ws.close();
  });

  it('applies scopes as over HTTP, and a revoked key closes its open sockets at the next request', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'ws-scopes');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const readOnly = (await call(s.url, 'POST', '/v1/keys', { key, body: { name: 'ro', scopes: ['read'] } })).body;
    const c = await Client.open(s.url, { authorization: `Bearer ${readOnly.apiKey}` });
    const refused = await c.request('upsert', 'c', { records: [{ id: 'a', vector: vec(1) }] });
    assert.deepEqual([refused.error.code, refused.error.status], ['INSUFFICIENT_SCOPE', 403]);
    assert.equal((await c.request('search', 'c', { vector: vec(1) })).ok, true);
    assert.equal((await c.request('subscribe', 'c')).ok, true);
    assert.equal((await call(s.url, 'DELETE', `/v1/keys/${readOnly.id}`, { key })).status, 204);
    c.send({ id: 'after', action: 'search', collection: 'c', body: { vector: vec(1) } });
    assert.equal((await c.closed).code, 4401);

    // A socket that only listens: the next change closes it instead of reaching it (review).
    const listener = (await call(s.url, 'POST', '/v1/keys', { key, body: { name: 'listener', scopes: ['read'] } })).body;
    const l = await Client.open(s.url, { authorization: `Bearer ${listener.apiKey}` });
    assert.equal((await l.request('subscribe', 'c')).ok, true);
    await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: [{ id: 'seen', vector: vec(1) }] } });
    await l.wait((m) => m.type === 'change' && m.change.id === 'seen');
    assert.equal((await call(s.url, 'DELETE', `/v1/keys/${listener.id}`, { key })).status, 204);
    await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: [{ id: 'unseen', vector: vec(2) }] } });
    assert.equal((await l.closed).code, 4401);
    assert.deepEqual(l.changes('c').map((ch) => ch.id), ['seen']);
  });

  it('subscribe from a seq while writes go on: replay then live, no gap, no duplicate; unsubscribe stops it', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'ws-sub');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const api = (body: unknown) => call(s.url, 'POST', '/v1/collections/c/records', { key, body });
    // 40 writes of 25 records (1,000 changes) over HTTP, while a subscriber joins at seq 300.
    let written = 0;
    const writer = (async () => {
      for (let b = 0; b < 40; b++) {
        const r = await api({ records: Array.from({ length: 25 }, (_, i) => ({ id: `r${(b * 25 + i) % 600}`, vector: vec(b * 25 + i) })) });
        written = r.body.seq;
        if (b % 4 === 0) await call(s.url, 'DELETE', `/v1/collections/c/records/r${b}`, { key });
      }
    })();
    while (written < 300) await new Promise((r) => setTimeout(r, 5));
    const c = await Client.open(s.url, { authorization: `Bearer ${key}` });
    const sub = await c.request('subscribe', 'c', { since: 300 });
    assert.deepEqual([sub.ok, sub.result.since], [true, 300]);
    await writer;
    const last = (await call(s.url, 'GET', '/v1/collections/c/changes?since=0&limit=1', { key })).body.latestSeq;
    await c.wait((m) => m.type === 'change' && m.change.seq === last);
    const seqs = c.changes('c').map((ch) => ch.seq);
    assert.deepEqual(seqs, Array.from({ length: last - 300 }, (_, i) => 301 + i));
    // The same changes as the feed's pages say.
    const page = (await call(s.url, 'GET', `/v1/collections/c/changes?since=300&limit=10000`, { key })).body.changes;
    assert.deepEqual(c.changes('c'), page);

    assert.equal((await c.request('subscribe', 'c')).error.code, 'INVALID_ARGUMENT', 'one subscription per collection');
    assert.deepEqual((await c.request('unsubscribe', 'c')).result, { collection: 'c', unsubscribed: true });
    const before = c.changes('c').length;
    await api({ records: [{ id: 'late', vector: vec(1) }] });
    await c.request('ping');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.changes('c').length, before, 'nothing after unsubscribe');

    // Subscribing without since: only what comes next, with the record when asked.
    assert.equal((await c.request('subscribe', 'c', { include: 'record' })).ok, true);
    await api({ records: [{ id: 'next', vector: vec(2), metadata: { n: 1 } }] });
    const next = await c.wait((m) => m.type === 'change' && m.change.id === 'next');
    assert.deepEqual(next.change.record.metadata, { n: 1 });

    // A subscription ends with the collection, saying why.
    assert.equal((await call(s.url, 'DELETE', '/v1/collections/c', { key })).status, 204);
    const ended = await c.wait((m) => m.type === 'subscription.ended');
    assert.equal(ended.error.code, 'COLLECTION_NOT_FOUND');
    c.ws.close();
  });

  it('a subscription from before the retention is refused with CHANGES_EXPIRED and the oldest seq', async () => {
    const s = await testServer({ VECTRA_CHANGES_RETENTION_SECONDS: '0', VECTRA_CHANGES_RETENTION_COUNT: '100' });
    const { key } = await register(s.url, 'ws-expired');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    for (let b = 0; b < 5; b++) await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: Array.from({ length: 1000 }, (_, i) => ({ id: `r${b}-${i}`, vector: vec(i) })) } });
    const c = await Client.open(s.url, { authorization: `Bearer ${key}` });
    const r = await c.request('subscribe', 'c', { since: 0 });
    assert.equal(r.error.code, 'CHANGES_EXPIRED');
    assert.equal(r.error.status, 410);
    assert.ok(r.error.oldestSeq > 1 && r.error.oldestSeq <= 4901, String(r.error.oldestSeq));
    const http = await call(s.url, 'GET', '/v1/collections/c/changes?since=0', { key });
    assert.deepEqual([http.status, http.body.error.code, http.body.error.oldestSeq], [410, 'CHANGES_EXPIRED', r.error.oldestSeq]);
    c.ws.close();
  });

  it("tenants never see each other: not a subscription, not a change, not a collection's existence", async () => {
    const s = await testServer();
    const a = await register(s.url, 'ws-a');
    const b = await register(s.url, 'ws-b');
    for (const t of [a, b]) await call(s.url, 'POST', '/v1/collections', { key: t.key, body: { name: 'same', model: 'none', dimension: 3 } });
    await call(s.url, 'POST', '/v1/collections', { key: a.key, body: { name: 'only-a', model: 'none', dimension: 3 } });
    const cb = await Client.open(s.url, { authorization: `Bearer ${b.key}` });
    assert.equal((await cb.request('subscribe', 'same', { since: 0 })).ok, true);
    const hidden = await cb.request('subscribe', 'only-a');
    assert.deepEqual([hidden.error.code, hidden.error.status], ['COLLECTION_NOT_FOUND', 404]);
    assert.equal((await cb.request('get', 'only-a', { id: 'x' })).error.code, 'COLLECTION_NOT_FOUND');
    const ca = await Client.open(s.url, { authorization: `Bearer ${a.key}` });
    await ca.request('upsert', 'same', { records: [{ id: 'secret', vector: vec(1) }] });
    await cb.request('upsert', 'same', { records: [{ id: 'mine', vector: vec(2) }] });
    await cb.wait((m) => m.type === 'change' && m.change.id === 'mine');
    assert.deepEqual(cb.changes('same').map((ch) => ch.id), ['mine']);
    ca.ws.close();
    cb.ws.close();
  });

  it('a message over the size limit: closed with 1009 (not cut: 1006), and logged as the client error it is, not a server error', async () => {
    const s = await serveProcess(tempDir(), { VECTRA_WS_MAX_MESSAGE_BYTES: '65536' });
    try {
      const { key } = await register(s.url, 'ws-big');
      // Large enough that the server refuses it while the client is still sending (the fuzzer's case).
      for (const size of [70_000, 8 * 1024 * 1024]) {
        const c = await Client.open(s.url, { authorization: `Bearer ${key}` });
        c.send({ id: 1, action: 'ping', body: { pad: 'x'.repeat(size) } });
        assert.equal((await c.closed).code, 1009, `${size} bytes`);
      }
      const ok = await Client.open(s.url, { authorization: `Bearer ${key}` });
      assert.equal((await ok.request('ping')).ok, true, 'the server goes on');
      ok.ws.close();
      assert.deepEqual(s.output().split('\n').filter((l) => /"level":(50|60)/.test(l)), [], 'no error logged');
      assert.match(s.output(), /the client broke the protocol/);
    } finally {
      await s.stop();
    }
  });

  it('limits: message size (1009), in flight, connections per key (4429), slow readers (4008), auth time (4408)', async () => {
    const s = await testServer({
      VECTRA_WS_MAX_MESSAGE_BYTES: '65536',
      VECTRA_WS_MAX_IN_FLIGHT: '2000',
      VECTRA_WS_MAX_CONNECTIONS_PER_KEY: '3',
      VECTRA_WS_MAX_BUFFERED_BYTES: '65536',
      VECTRA_WS_AUTH_TIMEOUT_MS: '300',
    });
    const { key } = await register(s.url, 'ws-limits');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 1000 } });
    await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: [{ id: 'big', vector: Array.from({ length: 1000 }, (_, i) => i / 1000 + 0.123456789) }] } });
    const auth = { authorization: `Bearer ${key}` };

    const big = await Client.open(s.url, auth);
    big.send({ id: 1, action: 'ping', body: { pad: 'x'.repeat(70_000) } });
    assert.equal((await big.closed).code, 1009);

    const c1 = await Client.open(s.url, auth);
    const c2 = await Client.open(s.url, auth);
    const c3 = await Client.open(s.url, auth);
    const c4 = await Client.open(s.url, auth);
    assert.equal((await c4.closed).code, 4429);
    c2.ws.close();
    await c2.closed;
    await new Promise((r) => setTimeout(r, 50));
    const c5 = await Client.open(s.url, auth);
    assert.equal((await c5.request('ping')).ok, true, 'a closed connection frees its place');

    // A reader that stops reading while asking for ~20 KB answers: closed, not buffered.
    c1.ws.pause();
    for (let i = 0; i < 2000; i++) c1.send({ id: i, action: 'get', collection: 'c', body: { id: 'big', includeVector: true } });
    c1.ws.resume();
    assert.equal((await c1.closed).code, 4008);
    assert.equal((await c3.request('ping')).ok, true, 'the server goes on');

    const silent = await Client.open(s.url);
    const closed = await silent.closed;
    assert.equal(closed.code, 4408);
    assert.match(closed.reason, /authenticate within 300 ms/);
    c3.ws.close();
    c5.ws.close();
  });

  it('a plain GET is told to upgrade; at shutdown sockets close with 1001 (going away)', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'ws-close');
    const plain = await call(s.url, 'GET', '/v1/ws');
    assert.deepEqual([plain.status, plain.body.error.code], [426, 'UPGRADE_REQUIRED']);
    const c = await Client.open(s.url, { authorization: `Bearer ${key}` });
    await c.request('ping');
    await s.close();
    assert.equal((await c.closed).code, 1001);
  });

  it('more requests in flight than allowed are refused with TOO_MANY_IN_FLIGHT, the rest answered', async () => {
    const s = await testServer({ VECTRA_WS_MAX_IN_FLIGHT: '4' });
    const { key } = await register(s.url, 'ws-inflight');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const c = await Client.open(s.url, { authorization: `Bearer ${key}` });
    for (let i = 0; i < 40; i++) c.send({ id: i, action: 'upsert', collection: 'c', body: { records: [{ id: `r${i}`, vector: vec(i) }] } });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => c.wait((m) => m.id === i)));
    const refused = answers.filter((a) => a.error?.code === 'TOO_MANY_IN_FLIGHT');
    assert.ok(refused.length > 0 && refused.length < 40, `${refused.length} refused`);
    assert.equal(refused[0].error.status, 429);
    const stored = (await call(s.url, 'GET', '/v1/collections/c', { key })).body.count;
    assert.equal(stored, 40 - refused.length, 'a refused request wrote nothing; the others all did');
    c.ws.close();
  });

  it('chat streams citations and deltas, then the same answer as POST /v1/chat; refusals and other tenants as over HTTP', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'ws-chat');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'kb' } });
    const text = '# Espresso machine\n## Cleaning\nDescale the espresso machine every month with citric acid.\n## Warranty\nThe warranty covers the pump for two years. Damage from limescale is not covered.';
    assert.equal((await call(s.url, 'POST', '/v1/collections/kb/documents', { key, body: { id: 'espresso', text, format: 'markdown' } })).status, 200);
    const question = { collection: 'kb', cache: false, messages: [{ role: 'user', content: 'Is limescale damage covered by the warranty?' }] };
    const c = await Client.open(s.url, { authorization: `Bearer ${key}` });
    c.send({ id: 'q1', action: 'chat', body: question });
    const result = await c.wait((m) => m.id === 'q1' && m.ok !== undefined);
    assert.equal(result.ok, true, JSON.stringify(result));
    const mine = c.messages.filter((m) => m.id === 'q1');
    assert.equal(mine[0].type, 'chat.citations');
    const deltas = mine.filter((m) => m.type === 'chat.delta').map((m) => m.text);
    assert.ok(deltas.length >= 1);
    assert.equal(mine.at(-1), result, 'the result comes last');
    assert.equal(deltas.join(''), result.result.answer);
    assert.deepEqual(mine[0].citations, result.result.citations);
    const http = await call(s.url, 'POST', '/v1/chat', { key, body: question });
    assert.deepEqual([http.body.answer, http.body.citations], [result.result.answer, result.result.citations]);
    // stream: false answers with the result alone.
    c.send({ id: 'q2', action: 'chat', body: { ...question, stream: false } });
    await c.wait((m) => m.id === 'q2' && m.ok === true);
    assert.deepEqual(c.messages.filter((m) => m.id === 'q2').length, 1);
    // Refused as over HTTP: a bad body, an unknown llm, another tenant's collection.
    assert.equal((await c.request('chat', undefined, { collection: 'kb', messages: [] })).error.code, 'INVALID_ARGUMENT');
    assert.equal((await c.request('chat', undefined, { ...question, llm: 'gpt-9' })).error.code, 'LLM_NOT_FOUND');
    const other = await register(s.url, 'ws-chat-other');
    const o = await Client.open(s.url, { authorization: `Bearer ${other.key}` });
    const refused = await o.request('chat', undefined, question);
    assert.deepEqual([refused.ok, refused.error.code, refused.error.status], [false, 'COLLECTION_NOT_FOUND', 404]);
    assert.equal(o.messages.filter((m) => m.type === 'chat.citations').length, 0);
    // The read scope, as over HTTP; listeners on the socket do not pile up per chat.
    const writeOnly = (await call(s.url, 'POST', '/v1/keys', { key, body: { name: 'wo', scopes: ['write'] } })).body;
    const w = await Client.open(s.url, { authorization: `Bearer ${writeOnly.apiKey}` });
    assert.deepEqual((await w.request('chat', undefined, question)).error.code, 'INSUFFICIENT_SCOPE');
    w.ws.close();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    for (let i = 0; i < 12; i++) assert.equal((await c.request('chat', undefined, { ...question, stream: false })).ok, true);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning'), []);
    c.ws.close();
    o.ws.close();
  });
});
