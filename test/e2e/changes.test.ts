/**
 * The change feed over HTTP: pages, Server-Sent Events (parsed by an independent parser,
 * eventsource-parser), Last-Event-ID resume, errors, tenants — and, against the real server
 * process, kill -9 in the middle of a load: after the restart every acknowledged write is in
 * the feed at the seq its answer gave, the feed has no gap, and a stream resumed from the
 * last id it saw goes on without a duplicate or a hole.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from 'node:net';
import { serveProcess } from '../support/process.js';
import { stream } from '../support/sse.js';
import { call, register, testServer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

const vec = (i: number) => [Math.cos(i), Math.sin(i), 1];

describe('change feed over HTTP', () => {
  it('pages in seq order with nextSince, include=record, and clear errors', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'feed');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const w1 = await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: [0, 1, 2].map((i) => ({ id: `r${i}`, vector: vec(i), metadata: { i } })) } });
    assert.deepEqual([w1.body.seq, w1.headers.get('x-vectra-seq')], [3, '3']);
    const w2 = await call(s.url, 'DELETE', '/v1/collections/c/records/r1', { key });
    assert.equal(w2.headers.get('x-vectra-seq'), '4');

    const p1 = (await call(s.url, 'GET', '/v1/collections/c/changes?since=0&limit=2', { key })).body;
    assert.deepEqual(p1.changes.map((c: any) => [c.seq, c.op, c.id]), [[1, 'upsert', 'r0'], [2, 'upsert', 'r1']]);
    assert.deepEqual([p1.nextSince, p1.latestSeq], [2, 4]);
    const p2 = (await call(s.url, 'GET', `/v1/collections/c/changes?since=${p1.nextSince}&include=record`, { key })).body;
    assert.deepEqual(p2.changes.map((c: any) => [c.seq, c.op, c.id, c.record?.metadata ?? c.record]), [[3, 'upsert', 'r2', { i: 2 }], [4, 'delete', 'r1', null]]);
    assert.ok(!Number.isNaN(Date.parse(p2.changes[0].at)));
    const empty = (await call(s.url, 'GET', '/v1/collections/c/changes?since=4', { key })).body;
    assert.deepEqual(empty, { changes: [], nextSince: 4, latestSeq: 4 });

    for (const [q, code] of [['since=-1', 'INVALID_ARGUMENT'], ['since=abc', 'INVALID_ARGUMENT'], ['limit=0', 'INVALID_ARGUMENT'], ['limit=10001', 'INVALID_ARGUMENT'], ['include=vector', 'INVALID_ARGUMENT'], ['since=9', 'INVALID_ARGUMENT']]) {
      const r = await call(s.url, 'GET', `/v1/collections/c/changes?${q}`, { key });
      assert.deepEqual([r.status, r.body.error.code], [400, code], q);
    }
    assert.match((await call(s.url, 'GET', '/v1/collections/c/changes?since=9', { key })).body.error.message, /ahead of the collection's latest seq 4/);
    // Another tenant: the collection does not exist for it.
    const other = await register(s.url, 'feed-other');
    assert.equal((await call(s.url, 'GET', '/v1/collections/c/changes', { key: other.key })).status, 404);
    assert.equal((await call(s.url, 'GET', '/v1/collections/c/changes/stream', { key: other.key })).status, 404);
    assert.equal((await call(s.url, 'GET', '/v1/collections/c/changes')).status, 401);
  });

  it('streams as SSE: replay after since, then live; Last-Event-ID resumes; an error event ends it', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'sse');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const write = (ids: string[]) => call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: ids.map((id, i) => ({ id, vector: vec(i) })) } });
    await write(['a', 'b', 'c']);

    const sse = stream(`${s.url}/v1/collections/c/changes/stream?since=1`, key);
    await sse.until(() => sse.events.length >= 2);
    assert.deepEqual(sse.events.map((e) => [e.id, e.event, JSON.parse(e.data).id]), [['2', 'upsert', 'b'], ['3', 'upsert', 'c']]);
    await write(['d']);
    await call(s.url, 'DELETE', '/v1/collections/c/records/a', { key });
    await sse.until(() => sse.events.length >= 4);
    assert.deepEqual(sse.events.slice(2).map((e) => [e.id, e.event]), [['4', 'upsert'], ['5', 'delete']]);
    sse.stop();

    // A reconnecting EventSource sends the last id it saw: the stream goes on from there.
    const resumed = stream(`${s.url}/v1/collections/c/changes/stream?since=0`, key, { 'last-event-id': '3' });
    await resumed.until(() => resumed.events.length >= 2);
    assert.deepEqual(resumed.events.map((e) => e.id), ['4', '5']);
    // Deleting the collection ends the stream with an error event in the API's envelope.
    await call(s.url, 'DELETE', '/v1/collections/c', { key });
    await resumed.until(() => resumed.events.some((e) => e.event === 'error'));
    assert.equal(JSON.parse(resumed.events.at(-1)!.data).error.code, 'COLLECTION_NOT_FOUND');
    assert.equal((await resumed.status).contentType, 'text/event-stream; charset=utf-8');

    // Without since: only what comes next.
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'n', model: 'none', dimension: 3 } });
    await call(s.url, 'POST', '/v1/collections/n/records', { key, body: { records: [{ id: 'old', vector: vec(1) }] } });
    const live = stream(`${s.url}/v1/collections/n/changes/stream`, key);
    await live.until(() => live.comments.length > 0);
    await call(s.url, 'POST', '/v1/collections/n/records', { key, body: { records: [{ id: 'new', vector: vec(2) }] } });
    await live.until(() => live.events.length >= 1);
    assert.deepEqual(live.events.map((e) => JSON.parse(e.data).id), ['new']);
    live.stop();

    const bad = stream(`${s.url}/v1/collections/n/changes/stream`, key, { 'last-event-id': 'x1' });
    assert.equal((await bad.status).status, 400);
  });

  it('HEAD on the stream answers its headers at once, and refuses what GET refuses (it used to be never answered)', async () => {
    const s = await testServer();
    const { key } = await register(s.url);
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const head = await fetch(`${s.url}/v1/collections/c/changes/stream?since=0`, { method: 'HEAD', headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(5000) });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^text\/event-stream/);
    const missing = await fetch(`${s.url}/v1/collections/nope/changes/stream`, { method: 'HEAD', headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(5000) });
    assert.equal(missing.status, 404);
    // It held nothing: the per-key stream budget is whole (a GET stream still opens).
    const open = stream(`${s.url}/v1/collections/c/changes/stream`, key);
    await open.until(() => open.comments.length > 0);
    open.stop();
    assert.equal((await open.status).status, 200);
  });

  it('GET /v1/events/stats counts what happened to this tenant, index builds included, and nothing of others', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'events');
    const other = await register(s.url, 'events-other');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    // Over 256 records: the write joins the graph in a background build (index.built).
    await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: Array.from({ length: 600 }, (_, i) => ({ id: `r${i}`, vector: vec(i) })) } });
    await call(s.url, 'POST', '/v1/collections/c/records/delete', { key, body: { ids: ['r1', 'r2'] } });
    for (let i = 0; i < 600 && (await call(s.url, 'GET', '/v1/collections/c', { key })).body.unindexed > 0; i++) await new Promise((r) => setTimeout(r, 50));
    let stats: any;
    for (let i = 0; i < 100; i++) {
      stats = (await call(s.url, 'GET', '/v1/events/stats', { key })).body;
      if (stats.published['index.built']) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(stats.published['collection.created'], 1);
    assert.equal(stats.published['record.upserted'], 1, 'one event per write, not per record');
    assert.equal(stats.published['record.deleted'], 1);
    assert.ok(stats.published['index.built'] >= 1, JSON.stringify(stats));
    assert.ok(!Number.isNaN(Date.parse(stats.since)));
    const theirs = (await call(s.url, 'GET', '/v1/events/stats', { key: other.key })).body;
    assert.deepEqual([theirs.total, theirs.published], [0, {}]);
  });

  it('a shutdown ends open streams instead of waiting on them (clients reconnect with Last-Event-ID)', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'shutdown');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const open = stream(`${s.url}/v1/collections/c/changes/stream`, key);
    await open.until(() => open.comments.length > 0);
    const closed = await Promise.race([s.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 10 s'), 10_000))]);
    assert.equal(closed, 'closed');
    assert.equal((await open.status).status, 200, 'the stream ended normally');
  });

  it('a shutdown cuts a stream whose client stopped reading, instead of waiting on it forever', async () => {
    const s = await testServer();
    const { key } = await register(s.url, 'stalled');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    // A raw socket that asks for the stream and never reads a byte (found in review).
    const { hostname, port } = new URL(s.url);
    const sock = connect(Number(port), hostname);
    await new Promise((r) => sock.once('connect', r));
    sock.pause();
    sock.write(`GET /v1/collections/c/changes/stream?since=0&include=record HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`);
    const text = 'x'.repeat(50_000);
    for (let b = 0; b < 20; b++) await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: Array.from({ length: 20 }, (_, i) => ({ id: `r${b}-${i}`, vector: vec(i), text })) } });
    const closed = await Promise.race([s.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 10 s'), 10_000))]);
    assert.equal(closed, 'closed');
    sock.destroy();
  });

  it('a revoked key ends its streams, with the reason, before any more changes reach them; streams count against the per-key limit', async () => {
    const s = await testServer({ VECTRA_WS_MAX_CONNECTIONS_PER_KEY: '2' });
    const { key } = await register(s.url, 'revoke');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const reader = (await call(s.url, 'POST', '/v1/keys', { key, body: { name: 'reader', scopes: ['read'] } })).body;
    const st = stream(`${s.url}/v1/collections/c/changes/stream`, reader.apiKey);
    const second = stream(`${s.url}/v1/collections/c/changes/stream`, reader.apiKey);
    await st.until(() => st.comments.length > 0);
    await second.until(() => second.comments.length > 0);
    const third = await call(s.url, 'GET', '/v1/collections/c/changes/stream', { key: reader.apiKey });
    assert.deepEqual([third.status, third.body.error.code], [429, 'TOO_MANY_CONNECTIONS']);
    second.stop();
    await second.status;
    await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: [{ id: 'before', vector: vec(1) }] } });
    await st.until(() => st.events.length >= 1);
    assert.equal((await call(s.url, 'DELETE', `/v1/keys/${reader.id}`, { key })).status, 204);
    await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: [{ id: 'after', vector: vec(2), text: 'secret after revocation' }] } });
    await st.until(() => st.events.some((e) => e.event === 'error'));
    assert.deepEqual(st.events.filter((e) => e.event !== 'error').map((e) => JSON.parse(e.data).id), ['before']);
    assert.equal(JSON.parse(st.events.at(-1)!.data).error.code, 'API_KEY_REVOKED');
    await st.status;
  });

  it('a reader behind the retention gets 410 CHANGES_EXPIRED with the oldest seq, as a page or a stream', async () => {
    const s = await testServer({ VECTRA_CHANGES_RETENTION_SECONDS: '0', VECTRA_CHANGES_RETENTION_COUNT: '1000' });
    const { key } = await register(s.url, 'retention');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    for (let b = 0; b < 6; b++) await call(s.url, 'POST', '/v1/collections/c/records', { key, body: { records: Array.from({ length: 1000 }, (_, i) => ({ id: `r${b}-${i}`, vector: vec(i) })) } });
    const r = await call(s.url, 'GET', '/v1/collections/c/changes?since=10', { key });
    assert.equal(r.status, 410);
    assert.equal(r.body.error.code, 'CHANGES_EXPIRED');
    const oldest = r.body.error.oldestSeq as number;
    assert.ok(oldest > 11 && oldest <= 5001, `oldest ${oldest}`);
    assert.match(r.body.error.message, new RegExp(`oldest kept is seq ${oldest}`));
    const ok = await call(s.url, 'GET', `/v1/collections/c/changes?since=${oldest - 1}&limit=1`, { key });
    assert.equal(ok.body.changes[0].seq, oldest);
    const st = stream(`${s.url}/v1/collections/c/changes/stream?since=0`, key);
    assert.deepEqual(await st.status.then((x) => [x.status, (x.body as any).error.code]), [410, 'CHANGES_EXPIRED']);
  });

  it('kill -9 mid-load: every acknowledged write is in the feed at its seq, no gap; a resumed stream has no duplicate', async () => {
    const dir = tempDir();
    const s1 = await serveProcess(dir);
    const { key } = await register(s1.url, 'crash');
    await call(s1.url, 'POST', '/v1/collections', { key, body: { name: 'c', model: 'none', dimension: 3 } });
    const sse = stream(`${s1.url}/v1/collections/c/changes/stream?since=0`, key);
    await sse.until(() => sse.comments.length > 0);
    // Writers go on until the kill; what they were told is what must survive.
    const acknowledged: { seq: number; ids: string[] }[] = [];
    let stop = false;
    const writers = [0, 1].map(async (wr) => {
      for (let b = 0; !stop; b++) {
        const ids = Array.from({ length: 50 }, (_, i) => `w${wr}-${(b * 50 + i) % 3000}`);
        try {
          const r = await call(s1.url, 'POST', '/v1/collections/c/records', { key, body: { records: ids.map((id, i) => ({ id, vector: vec(b + i) })) } });
          if (r.status === 200) acknowledged.push({ seq: r.body.seq, ids: r.body.ids });
        } catch {
          return; // the server died under this request: not acknowledged
        }
      }
    });
    await sse.until(() => sse.events.length >= 2000, 60_000);
    s1.proc.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await s1.exited;
    await sse.status;
    assert.ok(acknowledged.length >= 40, `${acknowledged.length} writes acknowledged before the kill`);

    // The stream before the kill: seq 1, 2, 3 … with no duplicate and no hole.
    const seen = sse.events.map((e) => Number(e.id));
    assert.deepEqual(seen, Array.from({ length: seen.length }, (_, i) => i + 1));

    const s2 = await serveProcess(dir);
    const feed: { seq: number; id: string }[] = [];
    for (let since = 0; ; ) {
      const p = (await call(s2.url, 'GET', `/v1/collections/c/changes?since=${since}&limit=10000`, { key })).body;
      if (p.changes.length === 0) break;
      feed.push(...p.changes);
      since = p.nextSince;
    }
    assert.deepEqual(feed.map((c) => c.seq), Array.from({ length: feed.length }, (_, i) => i + 1), 'no gap');
    const bySeq = new Map(feed.map((c) => [c.seq, c.id]));
    for (const a of acknowledged) {
      // A write of n records holds seqs seq-n+1 … seq, in its order.
      a.ids.forEach((id, i) => assert.equal(bySeq.get(a.seq - a.ids.length + 1 + i), id, `write ending at seq ${a.seq}`));
    }
    // Resume the stream where it broke off: the rest, once each.
    const last = seen.at(-1)!;
    const resumed = stream(`${s2.url}/v1/collections/c/changes/stream`, key, { 'last-event-id': String(last) });
    await resumed.until(() => resumed.comments.length > 0 && resumed.events.length >= feed.length - last);
    await call(s2.url, 'POST', '/v1/collections/c/records', { key, body: { records: [{ id: 'after-restart', vector: vec(1) }] } });
    await resumed.until(() => resumed.events.length > feed.length - last);
    feed.push({ seq: feed.length + 1, id: 'after-restart' });
    assert.deepEqual(resumed.events.map((e) => Number(e.id)), Array.from({ length: feed.length - last }, (_, i) => last + 1 + i));
    assert.equal(JSON.parse(resumed.events.at(-1)!.data).id, 'after-restart');
    resumed.stop();
    await s2.stop();
  });
});
