/**
 * @vectra/client against a real server on a real port: every method, what it sends and what
 * it answers, compared with the server's own state (read back through the SDK or plain HTTP);
 * refusals as typed VectraErrors with the API's code, status and message.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Vectra, VectraError, type StoredRecord } from '../../packages/client/src/index.js';
import { call, register, testServer } from '../support/server.js';
import { webhookReceiver } from '../support/webhook-receiver.js';

type Job = { title: string; city: string; wage: number };

let url: string;
let key: string;
let vectra: Vectra;

before(async () => {
  url = (await testServer({ VECTRA_WEBHOOK_ALLOW_PRIVATE: 'true' })).url;
  key = (await register(url, 'sdk')).key;
  vectra = new Vectra({ url, apiKey: key });
});

/** The error a promise rejects with (failing when it resolves). */
async function refusal(p: Promise<unknown>): Promise<VectraError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof VectraError, `a VectraError, not ${String(e)}`);
    return e;
  }
  assert.fail('resolved; a refusal was expected');
}

describe('accounts and collections', () => {
  it('registers a tenant whose key works at once', async () => {
    const r = await Vectra.register({ url, name: 'other' });
    assert.match(r.apiKey, /^vk_/);
    assert.equal(r.tenant.name, 'other');
    assert.deepEqual(await new Vectra({ url, apiKey: r.apiKey }).collections.list(), []);
  });

  it('creates, lists, gets and deletes collections', async () => {
    const created = await vectra.collections.create({ name: 'raw', model: 'none', dimension: 3, metric: 'cosine', index: { type: 'flat' } });
    assert.deepEqual([created.name, created.model, created.dimension, created.metric, created.index.type], ['raw', 'none', 3, 'cosine', 'flat']);
    assert.ok((await vectra.collections.list()).some((c) => c.name === 'raw'));
    const got = await vectra.collections.get('raw');
    assert.equal(got.count, 0);
    assert.equal(typeof got.diskBytes, 'number');
    assert.equal(await vectra.collections.delete('raw'), undefined);
    assert.ok(!(await vectra.collections.list()).some((c) => c.name === 'raw'));
    assert.equal((await call(url, 'GET', '/v1/collections/raw', { key })).status, 404);
  });

  it('refuses with typed errors: 404 COLLECTION_NOT_FOUND, 409 COLLECTION_EXISTS, 400 with the server message', async () => {
    const missing = await refusal(vectra.collections.get('nope'));
    assert.deepEqual([missing.code, missing.status, missing.name], ['COLLECTION_NOT_FOUND', 404, 'VectraError']);
    assert.match(missing.message, /nope/);
    await vectra.collections.create({ name: 'twice' });
    const exists = await refusal(vectra.collections.create({ name: 'twice' }));
    assert.deepEqual([exists.code, exists.status], ['COLLECTION_EXISTS', 409]);
    const bad = await refusal(vectra.collections.create({ name: 'bad', model: 'none' }));
    assert.equal(bad.status, 400);
    assert.equal(bad.code, 'INVALID_COLLECTION_CONFIG');
    assert.match(bad.message, /dimension/);
    const unauthorized = await refusal(new Vectra({ url, apiKey: 'vk_not_a_key' }).collections.list());
    assert.equal(unauthorized.status, 401);
  });
});

describe('records and search', () => {
  const jobs = () => vectra.collection<Job>('jobs');
  before(async () => {
    await vectra.collections.create({ name: 'jobs' });
  });

  it('upserts, gets (with and without the vector), searches dense, keyword and hybrid with a filter', async () => {
    const up = await jobs().upsert([
      { id: 'barista', text: 'barista making espresso coffee in a cafe', metadata: { title: 'Barista', city: 'Austin', wage: 15 } },
      { id: 'baker', text: 'baker making bread and pastries at dawn', metadata: { title: 'Baker', city: 'Austin', wage: 12 } },
      { id: 'welder', text: 'welder joining steel beams on a construction site', metadata: { title: 'Welder', city: 'Denver', wage: 25 } },
      { text: 'an id the server generates', metadata: { title: 'Anon', city: 'Nowhere', wage: 0 } },
    ]);
    assert.equal(up.upserted, 4);
    assert.deepEqual(up.ids.slice(0, 3), ['barista', 'baker', 'welder']);
    assert.equal(typeof up.seq, 'number');
    const rec: StoredRecord<Job> = await jobs().get('barista');
    assert.deepEqual([rec.id, rec.text, rec.metadata.city, rec.vector], ['barista', 'barista making espresso coffee in a cafe', 'Austin', undefined]);
    assert.equal((await jobs().get('barista', { includeVector: true })).vector?.length, 100);

    const dense = await jobs().search({ text: 'coffee shop', k: 2 });
    assert.equal(dense.results[0].id, 'barista');
    assert.equal(dense.results.length, 2);
    const filtered = await jobs().search({ text: 'making things', k: 5, filter: { city: 'Austin', wage: { $gte: 13 } } });
    assert.deepEqual(filtered.results.map((h) => h.id), ['barista']);
    assert.equal(filtered.results[0].metadata?.wage, 15);
    const keyword = await jobs().search({ text: 'steel', mode: 'keyword', return: 'id' });
    assert.deepEqual(keyword.results.map((h) => [h.id, h.text]), [['welder', undefined]]);
    const hybrid = await jobs().search({ text: 'bread', mode: 'hybrid', fusion: { type: 'weighted', alpha: 0.5 }, k: 1 });
    assert.equal(hybrid.results[0].id, 'baker');
    assert.ok(hybrid.results[0].scores?.keyword !== undefined);
    // The server's own answer to the same search is the same (the SDK adds nothing, drops nothing).
    const raw = await call(url, 'POST', '/v1/collections/jobs/search', { key, body: { text: 'coffee shop', k: 2 } });
    assert.deepEqual(raw.body.results, dense.results);
  });

  it('searches by vector, refusing a wrong dimension with the server message', async () => {
    const [vector] = (await vectra.embed('espresso coffee')).vectors;
    assert.equal((await jobs().search({ vector, k: 1 })).results[0].id, 'barista');
    const e = await refusal(jobs().search({ vector: [1, 2, 3] }));
    assert.deepEqual([e.status, e.code], [400, 'DIMENSION_MISMATCH']);
    assert.match(e.message, /100/);
    const f = await refusal(jobs().search({ text: 'x', filter: { wage: { $near: 3 } } }));
    assert.deepEqual([f.status, f.code], [400, 'INVALID_FILTER']);
  });

  it('deletes by id, by ids and by filter; a missing record is RECORD_NOT_FOUND', async () => {
    await jobs().upsert([1, 2, 3, 4, 5].map((i) => ({ id: `d${i}`, text: `doomed ${i}`, metadata: { title: 'Doomed', city: i % 2 ? 'Odd' : 'Even', wage: i } })));
    assert.equal((await jobs().delete('d1')).deleted, 1);
    assert.equal((await jobs().delete(['d2', 'd3', 'never'])).deleted, 2);
    const byFilter = await jobs().delete({ filter: { city: 'Even' } });
    assert.equal(byFilter.deleted, 1);
    assert.equal(typeof byFilter.seq, 'number');
    const gone = await refusal(jobs().get('d4'));
    assert.deepEqual([gone.status, gone.code], [404, 'RECORD_NOT_FOUND']);
    assert.equal((await jobs().get('d5')).id, 'd5');
    // An empty filter would match every record: refused before anything is sent.
    const empty = await refusal(jobs().delete({ filter: {} }));
    assert.equal(empty.code, 'INVALID_ARGUMENT');
    assert.equal((await jobs().get('d5')).id, 'd5');
  });

  it('lists every record across many pages, in id order, with a filter and one page at a time', async () => {
    await vectra.collections.create({ name: 'many', model: 'none', dimension: 2 });
    const many = vectra.collection<{ n: number }>('many');
    const ids = Array.from({ length: 1234 }, (_, i) => `r${String(i).padStart(4, '0')}`);
    for (let i = 0; i < ids.length; i += 500) await many.upsert(ids.slice(i, i + 500).map((id, j) => ({ id, vector: [1, i + j + 1], metadata: { n: i + j } })));
    const pages: number[] = [];
    const spy = new Vectra({ url, apiKey: key, fetch: (u, init) => (pages.push(1), fetch(u, init)) });
    const seen: string[] = [];
    for await (const r of spy.collection('many').list({ limit: 100 })) seen.push(r.id);
    assert.deepEqual(seen, ids);
    assert.equal(pages.length, 13, '1234 records in pages of 100');
    const evens: number[] = [];
    for await (const r of many.list({ filter: { n: { $lt: 300 } }, limit: 50 })) evens.push(r.metadata.n);
    assert.equal(evens.length, 300);
    const first = await many.listPage({ limit: 2, includeVector: true });
    assert.deepEqual(first.records.map((r) => [r.id, r.vector?.length]), [['r0000', 2], ['r0001', 2]]);
    const second = await many.listPage({ limit: 2, cursor: first.nextCursor! });
    assert.deepEqual(second.records.map((r) => r.id), ['r0002', 'r0003']);
    // Leaving the loop early stops asking for pages.
    pages.length = 0;
    for await (const _ of spy.collection('many').list({ limit: 10 })) break;
    assert.equal(pages.length, 1);
  });
});

describe('documents, embeddings, models, imports and jobs', () => {
  before(async () => {
    await vectra.collections.create({ name: 'kb' });
  });

  it('upserts a text document as chunks, gets it, uploads a file, deletes them', async () => {
    const kb = vectra.collection('kb');
    const stored = await kb.documents.upsert({ id: 'manual', text: '# Espresso\n## Cleaning\nDescale the machine every month.\n## Warranty\nTwo years on the pump.', format: 'markdown', metadata: { title: 'Manual' } });
    assert.equal(stored.id, 'manual');
    assert.ok(stored.chunks >= 1);
    const doc = await kb.documents.get('manual');
    assert.deepEqual(doc.chunks.map((c) => c.id), stored.ids);
    const file = new File(['# Bike\n## Price\nThe bike costs 649 euros.'], 'bike.md', { type: 'text/markdown' });
    const uploaded = await kb.documents.upload(file, { title: 'Bike sheet', metadata: { kind: 'sheet' } });
    assert.equal(uploaded.format, 'markdown');
    const chunk = await kb.get(`${uploaded.id}#0`);
    assert.equal(chunk.metadata.kind, 'sheet');
    assert.equal(chunk.metadata._title, 'Bike sheet');
    const withId = await kb.documents.upload(new Blob(['plain words about trains']), { id: 'trains', filename: 'trains.txt' });
    assert.deepEqual([withId.id, withId.format], ['trains', 'text']);
    assert.equal((await kb.documents.delete('manual')).deleted, stored.chunks);
    assert.equal((await refusal(kb.documents.get('manual'))).code, 'RECORD_NOT_FOUND');
    const refused = await refusal(kb.documents.upload(new Blob([new Uint8Array([0, 1, 2, 3, 0, 255])]), { filename: 'x.bin' }));
    assert.equal(refused.status, 415);
  });

  it('embeds texts with the default model and lists models', async () => {
    const e = await vectra.embed(['coffee', 'tea']);
    assert.equal(e.vectors.length, 2);
    assert.equal(e.dimension, 100);
    assert.equal(e.vectors[0].length, 100);
    const { models, rerankers } = await vectra.models();
    assert.ok(models.some((m) => m.id === e.model && m.default));
    assert.ok(Array.isArray(rerankers));
    assert.equal((await refusal(vectra.embed('x', { model: 'no-such-model' }))).code, 'MODEL_NOT_FOUND');
  });

  it('imports in the background and follows the job to its end; cancels; a missing job is JOB_NOT_FOUND', async () => {
    await vectra.collections.create({ name: 'imported', model: 'none', dimension: 2 });
    const imported = vectra.collection('imported');
    const job = await imported.import(Array.from({ length: 50 }, (_, i) => ({ id: `i${i}`, vector: [1, i] })));
    assert.equal(job.collection, 'imported');
    let now = job;
    for (let i = 0; i < 200 && now.status !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      now = await vectra.jobs.get(job.id);
    }
    assert.deepEqual([now.status, now.upserted], ['done', 50]);
    assert.ok((await vectra.jobs.list()).some((j) => j.id === job.id));
    const text = await imported.import('{"id": "t1", "vector": [1, 2]}\n{"id": "t2", "vector": [3]}\n');
    assert.equal(typeof text.id, 'string');
    const cancelled = await vectra.jobs.cancel(text.id);
    assert.equal(cancelled.id, text.id);
    assert.equal((await refusal(vectra.jobs.get('job_missing'))).code, 'JOB_NOT_FOUND');
  });
});

describe('chat, conversations, llms', () => {
  before(async () => {
    await vectra.collections.create({ name: 'help' });
    await vectra.collection('help').documents.upsert({ id: 'bike', text: '# City bike\nThe city bike has seven gears and weighs twelve kilograms.\n## Price\nThe bike costs 649 euros.', format: 'markdown' });
  });

  it('answers with citations, keeps the conversation, lists, gets and deletes it', async () => {
    assert.deepEqual((await vectra.llms()).map((l) => l.id), ['extractive']);
    const a = await vectra.chat({ collection: 'help', messages: [{ role: 'user', content: 'How much does the bike weigh?' }] });
    assert.match(a.answer, /twelve kilograms/);
    assert.ok(a.citations.length > 0);
    assert.equal(a.llm, 'extractive');
    const follow = await vectra.chat({ collection: 'help', conversationId: a.conversationId, messages: [{ role: 'user', content: 'And what does it cost?' }] });
    assert.match(follow.answer, /649/);
    assert.equal(follow.conversationId, a.conversationId);
    const list = await vectra.conversations.list();
    assert.ok(list.some((c) => c.id === a.conversationId));
    const conv = await vectra.conversations.get(a.conversationId);
    assert.equal(conv.messages.length, 4);
    await vectra.conversations.delete(a.conversationId);
    assert.equal((await refusal(vectra.conversations.get(a.conversationId))).code, 'CONVERSATION_NOT_FOUND');
    const unknown = await refusal(vectra.chat({ collection: 'help', llm: 'gpt-nothing', messages: [{ role: 'user', content: 'hi' }] }));
    assert.deepEqual([unknown.status, unknown.code], [400, 'LLM_NOT_FOUND']);
  });
});

describe('keys and webhooks', () => {
  it('creates a read-only key, lists it, revokes it: it stops working, typed', async () => {
    const created = await vectra.keys.create({ name: 'reader', scopes: ['read'] });
    const reader = new Vectra({ url, apiKey: created.apiKey });
    assert.ok(Array.isArray(await reader.collections.list()));
    const scope = await refusal(reader.collections.create({ name: 'nope' }));
    assert.deepEqual([scope.status, scope.code], [403, 'INSUFFICIENT_SCOPE']);
    assert.ok((await vectra.keys.list()).some((k) => k.id === created.id && k.name === 'reader'));
    await vectra.keys.revoke(created.id);
    const revoked = await refusal(reader.collections.list());
    assert.deepEqual([revoked.status, revoked.code], [401, 'API_KEY_REVOKED']);
  });

  it('creates, lists, gets, updates, tests and deletes a webhook', async () => {
    const receiver = await webhookReceiver();
    try {
      const hook = await vectra.webhooks.create({ url: receiver.url, events: ['record.*'], description: 'sdk' });
      assert.match(hook.secret, /^whsec_/);
      assert.ok((await vectra.webhooks.list()).some((h) => h.id === hook.id));
      assert.deepEqual((await vectra.webhooks.get(hook.id)).events, ['record.*']);
      const updated = await vectra.webhooks.update(hook.id, { status: 'disabled' });
      assert.equal(updated.status, 'disabled');
      await vectra.webhooks.update(hook.id, { status: 'active' });
      const queued = await vectra.webhooks.test(hook.id);
      assert.equal(queued.event, 'webhook.test');
      let deliveries: Awaited<ReturnType<typeof vectra.webhooks.deliveries>> = [];
      for (let i = 0; i < 100 && !deliveries.some((d) => d.event === 'webhook.test'); i++) {
        await new Promise((r) => setTimeout(r, 30));
        deliveries = await vectra.webhooks.deliveries(hook.id, { status: 'delivered', limit: 10 });
      }
      assert.deepEqual(deliveries.map((d) => [d.id, d.event, d.status]), [[queued.id, 'webhook.test', 'delivered']]);
      assert.equal(receiver.received.length, 1);
      await vectra.webhooks.delete(hook.id);
      assert.equal((await refusal(vectra.webhooks.get(hook.id))).code, 'WEBHOOK_NOT_FOUND');
    } finally {
      await receiver.close();
    }
  });

  it("answers this tenant's figures and event counts", async () => {
    const stats = await vectra.stats();
    assert.ok(stats.collections >= 1 && stats.records >= 1);
    assert.ok(stats.requests.total > 0);
    const events = await vectra.eventStats();
    assert.ok((events.published['record.upserted'] ?? 0) > 0, JSON.stringify(events.published));
  });

  it('reaches every other route typed through vectra.api', async () => {
    const stats = await vectra.api.GET('/v1/stats');
    assert.equal(typeof stats.data?.collections, 'number');
  });
});
