/**
 * No event of an acknowledged write is lost: the real server process, its receiver failing
 * (500) while records are written, is killed with SIGKILL; restarted, with the receiver back
 * at the same address, it delivers an event for every write it had acknowledged.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import { serveProcess } from '../support/process.js';
import { client, register } from '../support/server.js';
import { tempDir } from '../support/tmp.js';
import { QUICK_WEBHOOKS_ENV, webhookReceiver } from '../support/webhook-receiver.js';

const ENV = QUICK_WEBHOOKS_ENV;

const receivers: { close(): Promise<void> }[] = [];
// A failed assertion must not leave a receiver listening (it would keep the test file alive).
after(async () => {
  for (const r of receivers) await r.close();
});

describe('webhook durability', () => {
  it('after kill -9 and a restart, every acknowledged write is delivered', async (t) => {
    const dir = tempDir();
    const failing = await webhookReceiver(() => ({ status: 500 }));
    receivers.push(failing);
    const port = Number(new URL(failing.url).port);
    // The pump reads the feed 700 ms after a write wakes it: the last writes before the kill are
    // acknowledged but not yet in the outbox — the window the feed cursor must cover.
    const s1 = await serveProcess(dir, { ...ENV, VECTRA_WEBHOOK_PUMP_DELAY_MS: '700' });
    const { key } = await register(s1.url);
    const api = client(s1.url, key);
    assert.equal((await api('POST', '/v1/collections', { name: 'log', model: 'none', dimension: 4, metric: 'l2' })).status, 201);
    const hook = await api('POST', '/v1/webhooks', { url: `${failing.url}in`, events: ['record.*'] });
    assert.equal(hook.status, 201);

    // Writes (and some deletes) as fast as they are acknowledged, then SIGKILL mid-stream.
    const upserted: string[] = [];
    const deleted: string[] = [];
    const deadline = Date.now() + 1500;
    for (let n = 0; Date.now() < deadline; n++) {
      const ids = [0, 1, 2].map((j) => `r${n}-${j}`);
      const r = await api('POST', '/v1/collections/log/records', { records: ids.map((id, j) => ({ id, vector: [n, j, 1, 0.5] })) });
      if (r.status === 200) upserted.push(...ids);
      if (n % 5 === 4 && (await api('DELETE', `/v1/collections/log/records/r${n}-0`)).status === 204) deleted.push(`r${n}-0`);
    }
    s1.proc.kill('SIGKILL');
    await s1.exited;
    await failing.close();
    assert.ok(failing.received.length > 0, 'the failing receiver was tried before the kill');

    // What the outbox held at the kill: fewer ids than acknowledged, the kill fell between
    // record commits and outbox inserts.
    const outbox = new Database(join(dir, 'webhooks.db'), { readonly: true });
    const queued = (outbox.prepare("SELECT body FROM deliveries WHERE event LIKE 'record.%'").pluck().all() as string[]).flatMap((b) => JSON.parse(b).data.ids as string[]).length;
    outbox.close();
    t.diagnostic(`acknowledged ${upserted.length} upserts and ${deleted.length} deletes; the outbox held ${queued} ids at the kill`);
    assert.ok(queued > 0 && queued < upserted.length + deleted.length, `the kill fell between commits and outbox inserts (${queued} queued)`);

    const s2 = await serveProcess(dir, ENV);
    const receiver = await webhookReceiver(undefined, port);
    receivers.push(receiver);
    const got = { 'record.upserted': new Set<string>(), 'record.deleted': new Set<string>() };
    const covered = () => {
      for (const r of receiver.received) for (const id of r.event.data.ids) got[r.event.type as keyof typeof got].add(id);
      return upserted.every((id) => got['record.upserted'].has(id)) && deleted.every((id) => got['record.deleted'].has(id));
    };
    await receiver.until(covered, 'every acknowledged write', 30_000);
    const verifier = new Webhook(hook.body.secret);
    for (const r of receiver.received) verifier.verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) });
    // Nothing invented: every id delivered was written.
    const written = new Set(upserted);
    for (const r of failing.received.concat(receiver.received)) for (const id of r.event.data.ids) assert.ok(written.has(id) || /^r\d+-\d$/.test(id), id);

    // The restarted server goes on delivering new writes.
    await client(s2.url, key)('POST', '/v1/collections/log/records', { records: [{ id: 'after-restart', vector: [1, 2, 3, 4] }] });
    await receiver.until(() => receiver.received.some((r) => r.event.data.ids.includes('after-restart')), 'the write after the restart');
    await s2.stop();
  });
});
