/**
 * The feed pump over a real collection and a real outbox: one event per write across page
 * boundaries, writes before a webhook's creation skipped, and a cursor behind the feed's
 * retention jumps ahead without inventing events, counting what the webhook missed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Collection } from '../../src/engine/index.js';
import { EventBus } from '../../src/realtime/bus.js';
import { FeedPump, instanceOf } from '../../src/realtime/webhooks/pump.js';
import { WebhookStore, type Webhook } from '../../src/realtime/webhooks/store.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const log = { warn: () => undefined, error: (o: object, msg: string) => assert.fail(`${msg} ${JSON.stringify(o)}`) };

function hook(id: string, createdAt: number): Webhook {
  return { id, tenantId: 't', url: 'http://127.0.0.1:9/', events: ['record.*'], collections: null, description: null, secret: 'whsec_AAAA', status: 'active', createdAt, consecutiveFailures: 0, disabledReason: null, missedChanges: 0, lastMissedAt: null };
}

async function setup(retention?: { minAgeMs: number; minCount: number }, maxPending?: number) {
  const c = await Collection.create(join(tempDir(), 'c'), { dimension: 2, attributes: { createdAt: new Date().toISOString() } }, { logger: memoryLogger(), changeRetention: retention });
  const store = new WebhookStore(tempDir());
  const pump = new FeedPump(store, new EventBus(), { collections: () => [['c', c]] }, log, () => undefined, 60_000, 0, maxPending);
  /** Run the pump until the collection's cursor reaches its head. */
  const drain = async () => {
    pump.wake('t');
    while (store.cursor('t', 'c', instanceOf(c)) !== c.seq) await new Promise((r) => setTimeout(r, 5));
  };
  const events = (webhookId: string) => store.deliveries(webhookId, 1000).reverse().map((d) => JSON.parse(d.body) as { type: string; data: { ids: string[]; fromSeq: number; seq: number } });
  const upsert = (prefix: string, n: number) => c.upsert(Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, vector: [i, 1] })));
  return { c, store, pump, drain, events, upsert, close: async () => (pump.close(), store.close(), await c.close()) };
}

describe('webhook feed pump', () => {
  it('one event per write (≤1000 ids each) across page boundaries; writes before the webhook are skipped', async () => {
    const t = await setup();
    t.upsert('old', 3);
    const created = Date.now() + 1;
    // The webhook's cursor starts at the head, as the service starts it.
    t.store.insertWebhook(hook('wh', created), [{ collection: 'c', instance: instanceOf(t.c), seq: t.c.seq }]);
    while (Date.now() <= created) await new Promise((r) => setTimeout(r, 1));
    t.upsert('a', 1500);
    t.upsert('b', 1500);
    t.upsert('c', 2500);
    t.c.delete(['a0', 'b1']);
    await t.drain();
    const events = t.events('wh');
    assert.deepEqual(
      events.map((e) => [e.type, e.data.ids.length, e.data.fromSeq, e.data.seq]),
      [
        ['record.upserted', 1000, 4, 1003],
        ['record.upserted', 500, 1004, 1503],
        ['record.upserted', 1000, 1504, 2503],
        ['record.upserted', 500, 2504, 3003],
        ['record.upserted', 1000, 3004, 4003],
        ['record.upserted', 1000, 4004, 5003],
        ['record.upserted', 500, 5004, 5503],
        ['record.deleted', 2, 5504, 5505],
      ],
    );
    assert.equal(t.c.seq, 5505);
    assert.deepEqual(events.slice(0, 2).flatMap((e) => e.data.ids), Array.from({ length: 1500 }, (_, i) => `a${i}`));
    await t.close();
  });

  it('a cursor behind the retention jumps to the oldest change kept and counts the missed changes', async () => {
    const t = await setup({ minAgeMs: 0, minCount: 100 });
    // A webhook whose cursor is at 0 while the feed lets changes go (4,096 changes prune it).
    t.store.insertWebhook(hook('wh', 0), [{ collection: 'c', instance: instanceOf(t.c), seq: 0 }]);
    t.upsert('x', 5000);
    const oldest = t.c.changeLog(0, 1).oldest;
    assert.ok(oldest > 1, 'the feed has let changes go');
    await t.drain();
    const w = t.store.webhook('t', 'wh')!;
    assert.equal(w.missedChanges, oldest - 1);
    assert.ok(w.lastMissedAt !== null);
    // What is delivered is exactly what the feed still held: nothing invented for the gap.
    const ids = t.events('wh').flatMap((e) => e.data.ids);
    assert.deepEqual(ids, Array.from({ length: 5000 - (oldest - 1) }, (_, i) => `x${i + oldest - 1}`));
    await t.close();
  });

  it('a webhook with the most pending deliveries allowed gets no more queued: its changes are counted as missed', async () => {
    const t = await setup(undefined, 3);
    t.store.insertWebhook(hook('wh', Date.now() - 1000), [{ collection: 'c', instance: instanceOf(t.c), seq: t.c.seq }]);
    // Five writes of 2 records; nothing is sent (no worker): the outbox fills at 3.
    for (let w = 0; w < 5; w++) {
      t.upsert(`w${w}-`, 2);
      await t.drain();
    }
    assert.equal(t.store.pendingCount('wh'), 3);
    assert.deepEqual(t.events('wh').map((e) => e.data.ids), [['w0-0', 'w0-1'], ['w1-0', 'w1-1'], ['w2-0', 'w2-1']]);
    const w = t.store.webhook('t', 'wh')!;
    assert.equal(w.missedChanges, 4, 'the two later writes, two records each');
    assert.ok(w.lastMissedAt !== null);
    await t.close();
  });
});
