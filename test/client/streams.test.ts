/**
 * The client's streams against a real server: NDJSON ingest (progress as the server stores,
 * the source read only as the body is sent, bad lines reported, aborts), the change feed
 * (pages resumed from a seq, 410 CHANGES_EXPIRED typed, live following that survives a cut
 * connection without a gap or a duplicate), and chat's Server-Sent Events in order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChangesExpiredError, Vectra, VectraError, type Change, type ChatEvent, type IngestProgress, type RecordInput } from '../../packages/client/src/index.js';
import { faultProxy } from '../support/fault-proxy.js';
import { register, testServer } from '../support/server.js';

let url: string;
let vectra: Vectra;
let key: string;

before(async () => {
  url = (await testServer()).url;
  key = (await register(url, 'streams')).key;
  vectra = new Vectra({ url, apiKey: key });
});

const vec = (i: number) => [Math.cos(i), Math.sin(i), 1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `check()` holds (polling), failing after `ms`. */
async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('ingest', () => {
  before(async () => {
    await vectra.collections.create({ name: 'ingest', model: 'none', dimension: 3 });
  });

  it('streams records as the source yields them: the server answers before the source is done; progress adds up', async () => {
    const progress: IngestProgress[] = [];
    let sourceDone = false;
    // Lines 1000 and 2000 have a vector of the wrong length.
    const record = (i: number): RecordInput => (i % 1000 === 999 ? { id: `bad${i}`, vector: [1, 2] } : { id: `s${i}`, vector: vec(i), metadata: { i } });
    async function* source(): AsyncGenerator<RecordInput> {
      for (let i = 0; i < 1200; i++) yield record(i);
      // Half-way, wait until the server has answered a batch: a body built whole first would never get here.
      await until(() => progress.some((p) => p.acknowledged >= 500), 10_000, 'a batch answered while the source is open');
      for (let i = 1200; i < 2600; i++) yield record(i);
      sourceDone = true;
    }
    const result = await vectra.collection('ingest').ingest(source(), { onProgress: (p) => progress.push(p) });
    assert.ok(sourceDone);
    assert.deepEqual({ ...result, failures: result.failures.map((f) => [f.line, f.code]) }, {
      lines: 2600,
      upserted: 2598,
      errors: 2,
      failures: [
        [1000, 'DIMENSION_MISMATCH'],
        [2000, 'DIMENSION_MISMATCH'],
      ],
    });
    assert.ok(progress.length >= 5, `${progress.length} progress reports`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].acknowledged >= progress[i - 1].acknowledged);
    assert.deepEqual(progress.at(-1), { sent: 2600, acknowledged: 2600, upserted: 2598, errors: 2 });
    assert.equal((await vectra.collections.get('ingest')).count, 2598);
    assert.deepEqual((await vectra.collection('ingest').get('s2599')).metadata, { i: 2599 });
  });

  it('builds the body whole first where streaming is off (browsers): same result', async () => {
    const records = Array.from({ length: 700 }, (_, i) => ({ id: `w${i}`, vector: vec(i) }));
    const progress: IngestProgress[] = [];
    const result = await vectra.collection('ingest').ingest(records, { stream: false, onProgress: (p) => progress.push(p) });
    assert.deepEqual([result.lines, result.upserted, result.errors], [700, 700, 0]);
    assert.deepEqual(progress.at(-1), { sent: 700, acknowledged: 700, upserted: 700, errors: 0 });
  });

  it('aborts mid-stream: rejects with the reason and stops reading the source', async () => {
    const ctl = new AbortController();
    let yielded = 0;
    let closed = false;
    async function* endless(): AsyncGenerator<RecordInput> {
      try {
        for (let i = 0; ; i++) {
          yielded++;
          if (i % 100 === 0) await sleep(5);
          yield { id: `e${i}`, vector: vec(i) };
        }
      } finally {
        closed = true;
      }
    }
    const run = vectra.collection('ingest').ingest(endless(), { signal: ctl.signal, onProgress: (p) => p.acknowledged >= 500 && ctl.abort() });
    await assert.rejects(run, (e: Error) => e.name === 'AbortError');
    await until(() => closed, 5000, "the source's finally");
    const at = yielded;
    await sleep(100);
    assert.equal(yielded, at, 'nothing more is read from the source');
  });

  it('refuses a missing collection as a typed 404 before sending anything', async () => {
    await assert.rejects(vectra.collection('nowhere').ingest([{ id: 'x', vector: [1, 2, 3] }]), (e: unknown) => e instanceof VectraError && e.code === 'COLLECTION_NOT_FOUND' && e.status === 404);
  });
});

describe('change feed', () => {
  before(async () => {
    await vectra.collections.create({ name: 'feed', model: 'none', dimension: 3 });
  });

  it('pages from a seq: every change after it once, in order, fetched `limit` at a time, with the record when asked', async () => {
    const feed = vectra.collection('feed');
    const first = await feed.upsert(Array.from({ length: 200 }, (_, i) => ({ id: `f${i}`, vector: vec(i) })));
    await feed.delete(['f0', 'f1']);
    const from = first.seq - 150;
    const pages: string[] = [];
    const spy = new Vectra({ url, apiKey: key, fetch: (u, init) => (pages.push(u), fetch(u, init)) });
    const seen: Change[] = [];
    for await (const c of spy.collection('feed').changes({ since: from, limit: 40, includeRecord: true })) seen.push(c);
    assert.deepEqual(
      seen.map((c) => c.seq),
      Array.from({ length: 152 }, (_, i) => from + 1 + i),
    );
    assert.deepEqual(seen.slice(-2).map((c) => [c.op, c.id, c.record]), [['delete', 'f0', null], ['delete', 'f1', null]]);
    assert.deepEqual(seen[0].record?.id, seen[0].id);
    assert.equal(pages.length, 4, '152 changes in pages of 40');
    assert.match(pages[0], /since=\d+&limit=40&include=record/);
    // Resuming from the last seq seen yields nothing more (caught up).
    const again: Change[] = [];
    for await (const c of feed.changes({ since: seen.at(-1)!.seq })) again.push(c);
    assert.deepEqual(again, []);
  });

  it('410 CHANGES_EXPIRED is a ChangesExpiredError with the oldest seq kept; resuming from it works', async () => {
    const s = await testServer({ VECTRA_CHANGES_RETENTION_SECONDS: '0', VECTRA_CHANGES_RETENTION_COUNT: '100' });
    const v = new Vectra({ url: s.url, apiKey: (await register(s.url, 'retention')).key });
    await v.collections.create({ name: 'c', model: 'none', dimension: 3 });
    for (let b = 0; b < 4; b++) await v.collection('c').upsert(Array.from({ length: 500 }, (_, i) => ({ id: `r${b}-${i}`, vector: vec(i) })));
    let error: unknown;
    try {
      for await (const _ of v.collection('c').changes({ since: 0 })) assert.fail('no change is yielded');
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ChangesExpiredError, String(error));
    assert.ok(error instanceof VectraError);
    assert.deepEqual([error.code, error.status], ['CHANGES_EXPIRED', 410]);
    assert.ok(error.oldestSeq > 1 && error.oldestSeq <= 2000, `oldest ${error.oldestSeq}`);
    assert.match(error.message, new RegExp(`oldest kept is seq ${error.oldestSeq}`));
    let n = 0;
    for await (const c of v.collection('c').changes({ since: error.oldestSeq - 1, limit: 1000 })) {
      assert.equal(c.seq, error.oldestSeq + n);
      n++;
    }
    assert.equal(n, 2000 - error.oldestSeq + 1);
  });

  it('follows live after catching up, through a cut connection: no gap, no duplicate; ends on abort', async () => {
    await vectra.collections.create({ name: 'live', model: 'none', dimension: 3 });
    const live = vectra.collection('live');
    await live.upsert([{ id: 'old', vector: vec(0) }]);
    const proxy = await faultProxy(url);
    try {
      const follower = new Vectra({ url: proxy.url, apiKey: key, retryDelayMs: 20 });
      const ctl = new AbortController();
      const seen: Change[] = [];
      const reconnects: string[] = [];
      const done = (async () => {
        for await (const c of follower.collection('live').changes({ since: 0, follow: true, signal: ctl.signal, onReconnect: (r) => reconnects.push(r.error.code) })) seen.push(c);
      })();
      await until(() => seen.length === 1, 5000, 'the page');
      await until(() => proxy.seen.some((s) => s.url.includes('/changes/stream')), 5000, 'the stream');
      await live.upsert([{ id: 'n1', vector: vec(1) }, { id: 'n2', vector: vec(2) }]);
      await until(() => seen.length === 3, 5000, 'live changes');
      proxy.cut();
      // Written while the follower is disconnected: replayed after the last seq it saw.
      await live.upsert([{ id: 'n3', vector: vec(3) }]);
      await until(() => reconnects.length >= 1, 5000, 'a reconnection');
      await live.delete('n1');
      await until(() => seen.length === 5, 10_000, 'changes after the cut');
      assert.deepEqual(seen.map((c) => [c.seq, c.op, c.id]), [[1, 'upsert', 'old'], [2, 'upsert', 'n1'], [3, 'upsert', 'n2'], [4, 'upsert', 'n3'], [5, 'delete', 'n1']]);
      assert.equal(reconnects[0], 'NETWORK_ERROR');
      assert.equal(proxy.seen.filter((s) => s.url.includes('/changes/stream')).length, 2);
      assert.match(proxy.seen.filter((s) => s.url.includes('/changes/stream'))[1].url, /since=3\b/);
      ctl.abort();
      await assert.rejects(done, (e: Error) => e.name === 'AbortError');
    } finally {
      await proxy.close();
    }
  });

  it('a following stream that the server ends for good (collection deleted) throws its typed error', async () => {
    await vectra.collections.create({ name: 'doomed', model: 'none', dimension: 3 });
    const reconnects: unknown[] = [];
    const seen: Change[] = [];
    const done = (async () => {
      for await (const c of vectra.collection('doomed').changes({ follow: true, onReconnect: (r) => reconnects.push(r) })) seen.push(c);
    })();
    await sleep(200);
    await vectra.collection('doomed').upsert([{ id: 'x', vector: vec(1) }]);
    await until(() => seen.length === 1, 5000, 'the change');
    await vectra.collections.delete('doomed');
    await assert.rejects(done, (e: unknown) => e instanceof VectraError && e.code === 'COLLECTION_NOT_FOUND');
    assert.deepEqual(reconnects, []);
  });
});

describe('chat stream', () => {
  before(async () => {
    await vectra.collections.create({ name: 'kb' });
    await vectra.collection('kb').documents.upsert({ id: 'espresso', text: '# Espresso machine\n## Cleaning\nDescale the espresso machine every month with citric acid. Rinse the water tank afterwards.', format: 'markdown' });
  });

  it('yields citations, then deltas that make the answer, then done with the whole answer', async () => {
    const events: ChatEvent[] = [];
    for await (const e of vectra.chatStream({ collection: 'kb', messages: [{ role: 'user', content: 'How often should I descale the espresso machine?' }] })) events.push(e);
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'citations');
    assert.equal(types.at(-1), 'done');
    assert.ok(types.slice(1, -1).length >= 1 && types.slice(1, -1).every((t) => t === 'delta'), types.join(','));
    const done = events.at(-1) as Extract<ChatEvent, { type: 'done' }>;
    const text = events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
    assert.equal(text, done.answer.answer);
    assert.match(done.answer.answer, /every month/);
    assert.deepEqual((events[0] as Extract<ChatEvent, { type: 'citations' }>).citations, done.answer.citations);
    // The stream stored the conversation as the JSON answer does.
    assert.equal((await vectra.conversations.get(done.answer.conversationId)).messages.length, 2);
  });

  it('a refusal before the stream starts is thrown, typed, by the first next(); leaving early is clean', async () => {
    const stream = vectra.chatStream({ collection: 'missing', messages: [{ role: 'user', content: 'hi' }] });
    await assert.rejects(stream.next(), (e: unknown) => e instanceof VectraError && e.status === 404 && e.code === 'COLLECTION_NOT_FOUND');
    for await (const e of vectra.chatStream({ collection: 'kb', messages: [{ role: 'user', content: 'descale?' }] })) {
      assert.equal(e.type, 'citations');
      break;
    }
  });

  it('reads events cut anywhere across chunks; an error event mid-answer and an answer that stops short are typed errors', async () => {
    const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    /** A client whose fetch answers this SSE text, `size` bytes a chunk. */
    const answering = (text: string, size = 7) =>
      new Vectra({
        url: 'http://standin',
        fetch: async () => {
          const bytes = new TextEncoder().encode(text);
          const body = new ReadableStream<Uint8Array>({
            start(c) {
              for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
              c.close();
            },
          });
          return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
        },
      });
    const ask = async (v: Vectra) => {
      const seen: ChatEvent[] = [];
      try {
        for await (const e of v.chatStream({ collection: 'kb', messages: [{ role: 'user', content: 'q' }] })) seen.push(e);
        return { seen, error: null };
      } catch (error) {
        return { seen, error };
      }
    };
    const done = { answer: 'Descale monthly ☕. [1]', citations: [] };
    const whole = await ask(answering(sse('citations', { citations: [] }) + ': keep-alive\n\n' + sse('delta', { text: 'Descale monthly ☕.' }) + sse('unknown', {}) + sse('delta', { text: ' [1]' }) + sse('done', done)));
    assert.equal(whole.error, null);
    assert.deepEqual(whole.seen.map((e) => e.type), ['citations', 'delta', 'delta', 'done']);
    assert.deepEqual(whole.seen[1], { type: 'delta', text: 'Descale monthly ☕.' });
    const failed = await ask(answering(sse('citations', { citations: [] }) + sse('error', { error: { code: 'LLM_UNAVAILABLE', message: 'the LLM broke off' } })));
    assert.deepEqual(failed.seen.map((e) => e.type), ['citations']);
    assert.ok(failed.error instanceof VectraError);
    assert.deepEqual([failed.error.code, failed.error.message, failed.error.status], ['LLM_UNAVAILABLE', 'the LLM broke off', 0]);
    const short = await ask(answering(sse('citations', { citations: [] }) + sse('delta', { text: 'half' })));
    assert.ok(short.error instanceof VectraError);
    assert.equal(short.error.code, 'STREAM_ENDED');
    assert.match(short.error.message, /closed before its done event/);
    const garbled = await ask(answering('event: delta\ndata: {not json\n\n'));
    assert.equal((garbled.error as VectraError).code, 'INVALID_RESPONSE');
  });
});
