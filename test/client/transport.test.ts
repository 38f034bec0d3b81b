/**
 * The client's retries, timeouts and aborts against a real server, behind a proxy that answers
 * 429 or 503 itself, holds a request back, or cuts the connection; and the server's own rate
 * limit. What is retried (429/503 always, network failures only when safe to repeat), how long
 * it waits (Retry-After, else backoff), and the typed errors when it gives up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Vectra, VectraConnectionError, VectraError, VectraTimeoutError, type VectraOptions } from '../../packages/client/src/index.js';
import { faultProxy } from '../support/fault-proxy.js';
import { closedPortUrl } from '../support/net.js';
import { call, register, testServer } from '../support/server.js';

let url: string;
let key: string;
let proxy: Awaited<ReturnType<typeof faultProxy>>;

before(async () => {
  url = (await testServer()).url;
  key = (await register(url, 'transport')).key;
  await call(url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 2 } });
  await call(url, 'POST', '/v1/collections/c/records', { key, body: { records: [{ id: 'a', vector: [1, 0] }] } });
  proxy = await faultProxy(url);
});
after(() => proxy.close());

/** A client through the proxy; the proxy's log starts empty. */
function viaProxy(options: Partial<VectraOptions> = {}) {
  proxy.seen.length = 0;
  return new Vectra({ url: proxy.url, apiKey: key, retryDelayMs: 20, ...options });
}

const envelope = (code: string, message: string) => ({ error: { code, message } });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('resolved; a rejection was expected');
}

describe('retries', () => {
  it('a 429 with Retry-After, then success: waits what the server asked, then answers', async () => {
    const vectra = viaProxy();
    proxy.next({ status: 429, headers: { 'retry-after': '1' }, body: envelope('RATE_LIMITED', 'slow down') });
    const started = Date.now();
    const hit = await vectra.collection('c').search({ vector: [1, 0], k: 1 });
    assert.equal(hit.results[0].id, 'a');
    assert.deepEqual(proxy.seen.map((s) => s.did), ['429', 'forwarded']);
    const waited = proxy.seen[1].at - proxy.seen[0].at;
    assert.ok(waited >= 990 && waited < 3000, `waited ${waited} ms for Retry-After: 1 (backoff alone is ~20 ms)`);
    assert.ok(Date.now() - started >= 990);
  });

  it('503s then success, with growing backoff; a 503 is retried even for a create (nothing was applied)', async () => {
    const vectra = viaProxy({ retries: 3, retryDelayMs: 100 });
    proxy.next({ status: 503, body: envelope('NOT_READY', 'loading') }, { status: 503, body: envelope('NOT_READY', 'loading') });
    const created = await vectra.collections.create({ name: 'after503', model: 'none', dimension: 2 });
    assert.equal(created.name, 'after503');
    assert.deepEqual(proxy.seen.map((s) => s.did), ['503', '503', 'forwarded']);
    const [first, second] = [proxy.seen[1].at - proxy.seen[0].at, proxy.seen[2].at - proxy.seen[1].at];
    // Equal jitter: the n-th wait is between half and all of 100·2^n ms.
    assert.ok(first >= 45 && first < 400, `first wait ${first}`);
    assert.ok(second >= 95 && second < 600, `second wait ${second}`);
  });

  it('gives up after `retries` with the last refusal, typed (onError hears of it once); `retries: 0` per call does not retry', async () => {
    const heard: VectraError[] = [];
    const vectra = viaProxy({ retries: 2, onError: (e) => heard.push(e) });
    proxy.next(...Array.from({ length: 3 }, () => ({ status: 503, body: envelope('NOT_READY', 'still loading') })));
    const e = await rejection(vectra.collections.list());
    assert.ok(e instanceof VectraError);
    assert.deepEqual([e.code, e.status, e.message], ['NOT_READY', 503, 'still loading']);
    assert.equal(proxy.seen.length, 3);
    assert.deepEqual(heard, [e]);
    proxy.seen.length = 0;
    proxy.next({ status: 429, body: envelope('RATE_LIMITED', 'no') });
    assert.equal(((await rejection(vectra.collections.list({ retries: 0 }))) as VectraError).status, 429);
    assert.equal(proxy.seen.length, 1);
  });

  it("the server's own rate limit: 429 RATE_LIMITED with its Retry-After, not waited when longer than maxRetryDelayMs", async () => {
    const limited = await testServer({ VECTRA_RATE_LIMIT: '3' });
    const { key: k } = await register(limited.url, 'limited');
    const vectra = new Vectra({ url: limited.url, apiKey: k, maxRetryDelayMs: 2000 });
    for (let i = 0; i < 3; i++) await vectra.collections.list();
    const started = Date.now();
    const e = await rejection(vectra.collections.list());
    assert.ok(e instanceof VectraError);
    assert.deepEqual([e.code, e.status], ['RATE_LIMITED', 429]);
    assert.match(e.message, /rate limit of 3 requests per minute/);
    assert.ok(e.retryAfterMs! > 2000 && e.retryAfterMs! <= 60_000, `Retry-After ${e.retryAfterMs} ms`);
    assert.ok(Date.now() - started < 1000, 'a minute-long Retry-After is not waited out');
  });

  it('a dropped connection: a read is retried, a create is not (it may have been applied)', async () => {
    const vectra = viaProxy();
    proxy.next({ drop: true });
    assert.ok((await vectra.collections.list()).some((c) => c.name === 'c'));
    assert.deepEqual(proxy.seen.map((s) => s.did), ['dropped', 'forwarded']);
    proxy.seen.length = 0;
    proxy.next({ drop: true });
    const e = await rejection(vectra.collections.create({ name: 'dropped', model: 'none', dimension: 2 }));
    assert.ok(e instanceof VectraConnectionError);
    assert.deepEqual([e.code, e.status], ['NETWORK_ERROR', 0]);
    assert.equal(proxy.seen.length, 1);
    // A search and an upsert of records that all have ids are safe to repeat: retried.
    proxy.next({ drop: true }, { drop: true });
    assert.equal((await vectra.collection('c').upsert([{ id: 'b', vector: [0, 1] }])).upserted, 1);
    assert.equal((await vectra.collection('c').search({ vector: [0, 1], k: 1 })).results[0].id, 'b');
  });

  it('a server that is not there: NETWORK_ERROR after the retries', async () => {
    const vectra = new Vectra({ url: (await closedPortUrl()).replace(/\/$/, ''), apiKey: key, retries: 1, retryDelayMs: 10 });
    const e = await rejection(vectra.collections.list());
    assert.ok(e instanceof VectraConnectionError);
    assert.equal(e.code, 'NETWORK_ERROR');
    assert.ok(e.cause, 'the fetch failure is kept as the cause');
  });
});

describe('timeouts and aborts', () => {
  it('times out an attempt that takes longer than timeoutMs: TIMEOUT, not retried', async () => {
    const vectra = viaProxy({ timeoutMs: 200 });
    proxy.next({ delayMs: 3000 });
    const started = Date.now();
    const e = await rejection(vectra.collection('c').get('a'));
    assert.ok(e instanceof VectraTimeoutError);
    assert.deepEqual([e.code, e.status, e.timeoutMs], ['TIMEOUT', 0, 200]);
    const took = Date.now() - started;
    assert.ok(took >= 190 && took < 1500, `took ${took} ms`);
    assert.equal(proxy.seen.length, 1);
    // Per call: a longer budget lets the slow answer through.
    proxy.next({ delayMs: 300 });
    assert.equal((await vectra.collection('c').get('a', { timeoutMs: 5000 })).id, 'a');
  });

  it('aborts a request in flight through its AbortSignal, with the signal’s reason', async () => {
    const vectra = viaProxy();
    proxy.next({ hang: true });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const started = Date.now();
    const e = await rejection(vectra.collection('c').search({ vector: [1, 0] }, { signal: ctl.signal }));
    assert.ok(e instanceof DOMException && e.name === 'AbortError', String(e));
    assert.ok(Date.now() - started < 1000);
    assert.equal(proxy.seen.length, 1, 'not retried');
    // A reason given is the rejection, as it is.
    proxy.next({ hang: true });
    const why = new Error('user left');
    const ctl2 = new AbortController();
    setTimeout(() => ctl2.abort(why), 50);
    assert.equal(await rejection(vectra.collections.list({ signal: ctl2.signal })), why);
  });

  it('aborts the wait between retries, and refuses to start when already aborted', async () => {
    const vectra = viaProxy();
    proxy.next({ status: 429, headers: { 'retry-after': '20' }, body: envelope('RATE_LIMITED', 'wait') });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 150);
    const started = Date.now();
    const e = await rejection(vectra.collections.list({ signal: ctl.signal }));
    assert.equal((e as Error).name, 'AbortError');
    assert.ok(Date.now() - started < 1000, 'the 20 s wait was cut');
    assert.equal(proxy.seen.length, 1);
    proxy.seen.length = 0;
    assert.equal(((await rejection(vectra.collections.list({ signal: AbortSignal.abort() }))) as Error).name, 'AbortError');
    assert.equal(proxy.seen.length, 0, 'nothing was sent');
  });
});
