/**
 * Webhooks over HTTP against a real server and real local receivers: CRUD and validation,
 * tenant isolation, Standard Webhooks signatures (verified by the independent
 * `standardwebhooks` package), one event per write, retries honouring Retry-After, no
 * redirects, auto-disable announcing webhook.disabled.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { VectraEvent } from '../../src/realtime/bus.js';
import { client, errorCode, register, testServer } from '../support/server.js';
import { webhookReceiver } from '../support/webhook-receiver.js';

const FAST = {
  VECTRA_WEBHOOK_ALLOW_PRIVATE: 'true',
  VECTRA_WEBHOOK_RETRY_BASE_MS: '50',
  VECTRA_WEBHOOK_RETRY_MAX_MS: '2000',
  VECTRA_WEBHOOK_MAX_ATTEMPTS: '5',
  VECTRA_WEBHOOK_DISABLE_AFTER: '2',
  VECTRA_WEBHOOK_POLL_MS: '100',
  VECTRA_WEBHOOK_TIMEOUT_MS: '2000',
  VECTRA_WEBHOOK_MAX_PER_TENANT: '4',
  VECTRA_MAX_BATCH: '3000',
  VECTRA_RATE_LIMIT: '100000',
};

let server: Awaited<ReturnType<typeof testServer>>;
const receivers: { close(): Promise<void> }[] = [];
const receiver = async (...args: Parameters<typeof webhookReceiver>) => {
  const r = await webhookReceiver(...args);
  receivers.push(r);
  return r;
};

before(async () => {
  server = await testServer(FAST);
});
after(async () => {
  for (const r of receivers) await r.close();
});

async function tenant(name: string) {
  const { key, tenantId } = await register(server.url, name);
  const api = client(server.url, key);
  assert.equal((await api('POST', '/v1/collections', { name: 'notes', model: 'none', dimension: 2 })).status, 201);
  return { key, tenantId, api };
}

const records = (ids: string[]) => ({ records: ids.map((id, i) => ({ id, vector: [i, 1] })) });

describe('webhooks: registration', () => {
  it('creates, lists, reads, patches and deletes; the secret is shown once', async () => {
    const { api } = await tenant('crud');
    const created = await api('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['record.*', 'job.completed'], description: 'sync' });
    assert.equal(created.status, 201);
    const w = created.body;
    assert.match(w.id, /^wh_/);
    assert.match(w.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.ok(Buffer.from(w.secret.slice(6), 'base64').length >= 24);
    assert.deepEqual([w.url, w.events, w.collections, w.description, w.status], ['http://127.0.0.1:9/hook', ['record.*', 'job.completed'], null, 'sync', 'active']);
    assert.ok(!Number.isNaN(Date.parse(w.createdAt)));

    const list = await api('GET', '/v1/webhooks');
    assert.deepEqual(list.body.webhooks.map((x: { id: string }) => x.id), [w.id]);
    assert.equal('secret' in list.body.webhooks[0], false);
    const one = await api('GET', `/v1/webhooks/${w.id}`);
    assert.equal('secret' in one.body, false);
    assert.deepEqual(one.body.stats, { delivered: 0, failed: 0, pending: 0, consecutiveFailures: 0, missedChanges: 0, lastMissedAt: null });

    const patched = await api('PATCH', `/v1/webhooks/${w.id}`, { events: ['collection.*'], collections: ['notes'], description: null, status: 'disabled' });
    assert.equal(patched.status, 200);
    assert.deepEqual([patched.body.events, patched.body.collections, patched.body.description, patched.body.status], [['collection.*'], ['notes'], null, 'disabled']);
    assert.equal(patched.body.disabledReason, 'disabled by the API');
    const enabled = await api('PATCH', `/v1/webhooks/${w.id}`, { status: 'active' });
    assert.deepEqual([enabled.body.status, enabled.body.disabledReason], ['active', null]);

    assert.equal((await api('DELETE', `/v1/webhooks/${w.id}`)).status, 204);
    assert.equal(errorCode(await api('GET', `/v1/webhooks/${w.id}`)), 'WEBHOOK_NOT_FOUND');
    assert.equal(errorCode(await api('DELETE', `/v1/webhooks/${w.id}`)), 'WEBHOOK_NOT_FOUND');
  });

  it('refuses bad input with a 4xx that says what to fix', async () => {
    const { api } = await tenant('validation');
    const bad = async (body: unknown, code: string, message: RegExp, method = 'POST', path = '/v1/webhooks') => {
      const r = await api(method, path, body);
      assert.equal(r.status, code === 'WEBHOOK_LIMIT_REACHED' ? 409 : 400, JSON.stringify(r.body));
      assert.equal(errorCode(r), code);
      assert.match(r.body.error.message, message);
    };
    await bad({ url: 'ftp://example.com/x', events: ['*'] }, 'WEBHOOK_URL_FORBIDDEN', /scheme "ftp"/);
    await bad({ url: 'https://user:pw@example.com/x', events: ['*'] }, 'WEBHOOK_URL_FORBIDDEN', /credentials/);
    await bad({ url: 'not a url', events: ['*'] }, 'INVALID_ARGUMENT', /not an absolute URL/);
    await bad({ url: 'https://example.com/x', events: ['record.nope'] }, 'INVALID_ARGUMENT', /events\[0\] "record.nope" is not an event type/);
    await bad({ url: 'https://example.com/x', events: ['nothing.*'] }, 'INVALID_ARGUMENT', /matches no event type/);
    await bad({ url: 'https://example.com/x', events: [] }, 'INVALID_ARGUMENT', /events/);
    await bad({ url: 'https://example.com/x', events: ['*'], colour: 'red' }, 'INVALID_ARGUMENT', /additional properties "colour"/);
    await bad({ url: 'https://example.com/x', events: ['*'], collections: ['no spaces'] }, 'INVALID_ARGUMENT', /collections/);
    const w = (await api('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/', events: ['*'] })).body;
    await bad({ status: 'paused' }, 'INVALID_ARGUMENT', /"active", "disabled"/, 'PATCH', `/v1/webhooks/${w.id}`);
    await bad({ secret: 'mine' }, 'INVALID_ARGUMENT', /additional properties "secret"/, 'PATCH', `/v1/webhooks/${w.id}`);
    await bad({ url: 'gopher://x' }, 'WEBHOOK_URL_FORBIDDEN', /gopher/, 'PATCH', `/v1/webhooks/${w.id}`);
    assert.equal((await api('GET', `/v1/webhooks/${w.id}/deliveries?limit=0`)).status, 400);
    for (let i = 0; i < 3; i++) assert.equal((await api('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/', events: ['*'] })).status, 201);
    await bad({ url: 'http://127.0.0.1:9/', events: ['*'] }, 'WEBHOOK_LIMIT_REACHED', /at most 4 webhooks.*VECTRA_WEBHOOK_MAX_PER_TENANT/);
  });

  it('refuses loopback and private URLs unless VECTRA_WEBHOOK_ALLOW_PRIVATE=true', async () => {
    const strict = await testServer({});
    const { key } = await register(strict.url, 'strict');
    const api = client(strict.url, key);
    for (const url of ['http://127.0.0.1:8080/', 'http://localhost/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/', 'http://2130706433/', 'http://0.0.0.0/']) {
      const r = await api('POST', '/v1/webhooks', { url, events: ['*'] });
      assert.equal(errorCode(r), 'WEBHOOK_URL_FORBIDDEN', url);
      assert.match(r.body.error.message, /VECTRA_WEBHOOK_ALLOW_PRIVATE=true/);
    }
    await strict.close();
  });

  it('needs the read scope to look and the write scope to change', async () => {
    const { api } = await tenant('scopes');
    const w = (await api('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/', events: ['*'] })).body;
    const reader = client(server.url, (await api('POST', '/v1/keys', { name: 'r', scopes: ['read'] })).body.apiKey);
    assert.equal((await reader('GET', '/v1/webhooks')).status, 200);
    assert.equal((await reader('GET', `/v1/webhooks/${w.id}/deliveries`)).status, 200);
    for (const [method, path, body] of [['POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/', events: ['*'] }], ['PATCH', `/v1/webhooks/${w.id}`, { status: 'disabled' }], ['DELETE', `/v1/webhooks/${w.id}`], ['POST', `/v1/webhooks/${w.id}/test`]] as const) {
      assert.equal(errorCode(await reader(method, path, body)), 'INSUFFICIENT_SCOPE', `${method} ${path}`);
    }
    // Creating or re-pointing one needs read too: a webhook ships record ids and collection
    // settings to its URL, which a write-only key may not read itself (review).
    const writer = client(server.url, (await api('POST', '/v1/keys', { name: 'w', scopes: ['write'] })).body.apiKey);
    const refused = await writer('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/', events: ['*'] });
    assert.deepEqual([refused.status, errorCode(refused)], [403, 'INSUFFICIENT_SCOPE']);
    assert.match(refused.body.error.message, /"read" scope/);
    assert.equal(errorCode(await writer('PATCH', `/v1/webhooks/${w.id}`, { url: 'http://127.0.0.1:10/' })), 'INSUFFICIENT_SCOPE');
    assert.equal((await writer('DELETE', `/v1/webhooks/${w.id}`)).status, 204, 'deleting needs write alone');
  });
});

describe('webhooks: delivery', () => {
  it('signs per Standard Webhooks, one event per write, and keeps tenants apart', async () => {
    const a = await tenant('alpha');
    const b = await tenant('beta');
    const ra = await receiver();
    const rb = await receiver();
    const wa = (await a.api('POST', '/v1/webhooks', { url: `${ra.url}a`, events: ['record.*', 'collection.created'] })).body;
    const wb = (await b.api('POST', '/v1/webhooks', { url: `${rb.url}b`, events: ['*'] })).body;
    const only = (await a.api('POST', '/v1/webhooks', { url: `${rb.url}only-other`, events: ['record.*'], collections: ['other'] })).body;

    assert.equal((await b.api('POST', '/v1/collections', { name: 'bonly', model: 'none', dimension: 2 })).status, 201);
    const up = await a.api('POST', '/v1/collections/notes/records', records(['r1', 'r2', 'r3']));
    assert.equal(up.status, 200);
    assert.equal((await a.api('DELETE', '/v1/collections/notes/records/r2')).status, 204);
    const big = Array.from({ length: 1500 }, (_, i) => `big${i}`);
    const bigSeq = (await a.api('POST', '/v1/collections/notes/records', records(big))).body.seq;
    assert.equal((await a.api('POST', '/v1/collections', { name: 'more', model: 'none', dimension: 2 })).status, 201);
    await ra.until(() => ra.received.length >= 5, 'five events at A');

    const events = ra.received.map((r) => r.event);
    assert.deepEqual(events.map((e) => e.type).sort(), ['collection.created', 'record.deleted', 'record.upserted', 'record.upserted', 'record.upserted']);
    const upserts = events.filter((e) => e.type === 'record.upserted').sort((x, y) => x.data.seq - y.data.seq);
    assert.deepEqual(upserts[0].data, { collection: 'notes', ids: ['r1', 'r2', 'r3'], fromSeq: up.body.seq - 2, seq: up.body.seq });
    // 1500 ids in one write: two events of at most 1000 ids, covering the write's seqs.
    assert.deepEqual([upserts[1].data.ids.length, upserts[2].data.ids.length], [1000, 500]);
    assert.deepEqual([...upserts[1].data.ids, ...upserts[2].data.ids], big);
    assert.deepEqual([upserts[1].data.fromSeq, upserts[2].data.seq], [bigSeq - 1499, bigSeq]);
    assert.deepEqual(events.find((e) => e.type === 'record.deleted')!.data.ids, ['r2']);

    const verifier = new Webhook(wa.secret);
    for (const r of ra.received) {
      assert.equal(r.headers['content-type'], 'application/json');
      assert.match(String(r.headers['user-agent']), /^Vectra-Webhooks\//);
      assert.match(String(r.headers['webhook-id']), /^msg_/);
      const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) };
      assert.deepEqual(verifier.verify(r.body, headers), r.event);
      assert.throws(() => verifier.verify(`${r.body} `, headers), /signature/i);
      assert.throws(() => new Webhook(wb.secret).verify(r.body, headers));
    }
    // The delivery's id is the webhook-id the receiver saw.
    const deliveries = (await a.api('GET', `/v1/webhooks/${wa.id}/deliveries`)).body.deliveries;
    assert.deepEqual(deliveries.map((d: { id: string }) => d.id).sort(), ra.received.map((r) => r.headers['webhook-id']).sort());
    assert.ok(deliveries.every((d: { status: string; attempts: number; lastStatusCode: number }) => d.status === 'delivered' && d.attempts === 1 && d.lastStatusCode === 200));
    assert.equal((await a.api('GET', `/v1/webhooks/${wa.id}`)).body.stats.delivered, 5);

    // B saw only its own tenant's event; the collection filter kept "notes" from `only`.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(rb.received.map((r) => [r.event.type, r.event.data.collection]), [['collection.created', 'bonly']]);
    assert.equal((await a.api('GET', `/v1/webhooks/${only.id}/deliveries`)).body.deliveries.length, 0);
    // B cannot see, change, test or delete A's webhook: not found, as if it did not exist.
    for (const [method, path, body] of [['GET', `/v1/webhooks/${wa.id}`], ['GET', `/v1/webhooks/${wa.id}/deliveries`], ['PATCH', `/v1/webhooks/${wa.id}`, { status: 'disabled' }], ['POST', `/v1/webhooks/${wa.id}/test`], ['DELETE', `/v1/webhooks/${wa.id}`]] as const) {
      const r = await b.api(method, path, body);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(errorCode(r), 'WEBHOOK_NOT_FOUND');
    }
    assert.deepEqual((await b.api('GET', '/v1/webhooks')).body.webhooks.map((x: { id: string }) => x.id), [wb.id]);
    assert.equal((await a.api('GET', `/v1/webhooks/${wa.id}`)).body.status, 'active');
  });

  it('a webhook gets only the writes made after it was created; test sends webhook.test to it alone', async () => {
    const { api } = await tenant('late');
    await api('POST', '/v1/collections/notes/records', records(['before']));
    const r = await receiver();
    const w = (await api('POST', '/v1/webhooks', { url: r.url, events: ['*'] })).body;
    const other = await receiver();
    await api('POST', '/v1/webhooks', { url: other.url, events: ['record.*'] });
    await api('POST', '/v1/collections/notes/records', records(['after']));
    const t = await api('POST', `/v1/webhooks/${w.id}/test`);
    assert.equal(t.status, 202);
    assert.deepEqual([t.body.event, t.body.status], ['webhook.test', 'pending']);
    await r.until(() => r.received.length >= 2, 'the write and the test');
    assert.deepEqual(r.received.map((x) => x.event.type).sort(), ['record.upserted', 'webhook.test']);
    assert.deepEqual(r.received.find((x) => x.event.type === 'record.upserted')!.event.data.ids, ['after']);
    assert.equal(r.received.find((x) => x.event.type === 'webhook.test')!.headers['webhook-id'], t.body.id);
    await other.until(() => other.received.length >= 1, 'the write at the other webhook');
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(other.received.map((x) => x.event.type), ['record.upserted']);
  });

  it('retries after 503 honouring Retry-After, until every event is acknowledged exactly once', async () => {
    const { api } = await tenant('flaky');
    // The first four requests are refused: 503 with Retry-After 1 s, then 0 s.
    const r = await receiver((n) => (n < 4 ? { status: 503, headers: { 'retry-after': n === 0 ? '1' : '0' } } : { status: 200 }));
    const w = (await api('PATCH', `/v1/webhooks/${(await api('POST', '/v1/webhooks', { url: r.url, events: ['record.upserted'] })).body.id}`, { description: 'flaky' })).body;
    for (const id of ['x1', 'x2', 'x3']) await api('POST', '/v1/collections/notes/records', records([id]));
    await r.until(() => r.acked().length >= 3, 'three acknowledged events', 15_000);
    await new Promise((res) => setTimeout(res, 300));
    const acked = r.acked().map((x) => x.headers['webhook-id']);
    assert.equal(new Set(acked).size, acked.length, 'no event acknowledged twice');
    assert.deepEqual(r.acked().flatMap((x) => x.event.data.ids).sort(), ['x1', 'x2', 'x3']);
    // Every retry of an event carried the same id and the same bytes.
    for (const id of ['x1', 'x2', 'x3']) assert.equal(new Set(r.received.filter((x) => x.event.data.ids[0] === id).map((x) => `${x.headers['webhook-id']} ${x.body}`)).size, 1);
    // Retry-After: 1 on the first refusal held that event's next attempt back a second.
    const first = r.received.filter((x) => x.headers['webhook-id'] === r.received[0].headers['webhook-id']);
    assert.ok(first.length >= 2 && first[1].at - first[0].at >= 900, `next attempt after ${first[1]?.at - first[0].at} ms`);
    assert.equal(r.received.length, 7, 'four refusals, three acknowledgements');
    const d = (await api('GET', `/v1/webhooks/${w.id}/deliveries`)).body.deliveries;
    assert.ok(d.every((x: { status: string }) => x.status === 'delivered'));
    assert.ok(d.some((x: { attempts: number }) => x.attempts > 1));
  });

  it('does not follow redirects; repeated failures disable the webhook and announce webhook.disabled', async () => {
    const { api, tenantId } = await tenant('redirected');
    const elsewhere = await receiver();
    const r = await receiver(() => ({ status: 302, headers: { location: `${elsewhere.url}stolen` } }));
    const watcher = await receiver();
    const w = (await api('POST', '/v1/webhooks', { url: r.url, events: ['webhook.test'] })).body;
    await api('POST', '/v1/webhooks', { url: watcher.url, events: ['webhook.disabled'] });
    const seen: VectraEvent[] = [];
    const sub = server.services.bus.subscribe(tenantId, ['webhook.disabled'], (e) => seen.push(e));
    // Two deliveries of five attempts each fail (VECTRA_WEBHOOK_DISABLE_AFTER=2).
    await api('POST', `/v1/webhooks/${w.id}/test`);
    await api('POST', `/v1/webhooks/${w.id}/test`);
    await watcher.until(() => watcher.received.length >= 1, 'webhook.disabled', 15_000);
    const disabled = watcher.received[0].event;
    assert.equal(disabled.type, 'webhook.disabled');
    assert.deepEqual([disabled.data.webhookId, disabled.data.consecutiveFailures], [w.id, 2]);
    assert.match(disabled.data.reason, /2 deliveries in a row failed.*302/);
    sub.close();
    assert.deepEqual(seen.map((e) => e.data.webhookId), [w.id], 'published on the bus once');
    assert.equal(r.received.length, 10);
    assert.equal(elsewhere.received.length, 0, 'the redirect was not followed');
    const one = (await api('GET', `/v1/webhooks/${w.id}`)).body;
    assert.deepEqual([one.status, one.stats.failed, one.stats.consecutiveFailures], ['disabled', 2, 2]);
    const d = (await api('GET', `/v1/webhooks/${w.id}/deliveries?status=failed`)).body.deliveries;
    assert.deepEqual(d.map((x: { attempts: number; lastStatusCode: number }) => [x.attempts, x.lastStatusCode]), [[5, 302], [5, 302]]);
    assert.match(d[0].lastError, /redirects are not followed/);
    // A disabled webhook is not sent to; enabling it resets the count.
    await api('POST', `/v1/webhooks/${w.id}/test`);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.received.length, 10);
    const again = (await api('PATCH', `/v1/webhooks/${w.id}`, { status: 'active' })).body;
    assert.deepEqual([again.status, again.stats.consecutiveFailures, again.disabledReason], ['active', 0, null]);
    await r.until(() => r.received.length > 10, 'the held test event after re-enabling');
  });
});
