/**
 * The event bus: wildcard patterns, tenants apart, bounded queues (a slow subscriber skips or
 * is dropped, counted, and memory does not grow), a throwing subscriber hurting no other, and
 * the stats per tenant.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus, matchesAny, patternProblem, type VectraEvent } from '../../src/realtime/bus.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('event bus', () => {
  it('matches exact types, prefix.* and *; refuses patterns that match nothing', () => {
    assert.equal(matchesAny('record.upserted', ['record.*']), true);
    assert.equal(matchesAny('record.upserted', ['*']), true);
    assert.equal(matchesAny('record.upserted', ['record.deleted']), false);
    assert.equal(matchesAny('recordx.upserted', ['record.*']), false);
    assert.equal(patternProblem('record.*'), null);
    assert.equal(patternProblem('*'), null);
    assert.match(patternProblem('records.*')!, /matches no event type/);
    assert.match(patternProblem('record.created')!, /is not an event type/);
    assert.match(patternProblem(3)!, /must be a string/);
    assert.throws(() => new EventBus().subscribe('t', ['nope']), /is not an event type/);
  });

  it('delivers on a later turn, in order, to the subscribers of the tenant whose patterns match', async () => {
    const bus = new EventBus();
    const got: Record<string, string[]> = { all: [], records: [], deletes: [], other: [] };
    bus.subscribe('a', ['*'], (e) => got.all.push(e.type));
    bus.subscribe('a', ['record.*'], (e) => got.records.push(`${e.type}:${e.data.n}`));
    bus.subscribe('a', ['record.deleted'], (e) => got.deletes.push(e.type));
    bus.subscribe('b', ['*'], (e) => got.other.push(e.type));
    bus.publish('a', 'record.upserted', { n: 1 });
    bus.publish('a', 'collection.created', {});
    bus.publish('a', 'record.deleted', { n: 2 });
    assert.deepEqual(got.all, [], 'publishing never runs a subscriber inline');
    await turn();
    assert.deepEqual(got.all, ['record.upserted', 'collection.created', 'record.deleted']);
    assert.deepEqual(got.records, ['record.upserted:1', 'record.deleted:2']);
    assert.deepEqual(got.deletes, ['record.deleted']);
    assert.deepEqual(got.other, [], "tenant b saw nothing of a's events");
    const s = bus.stats('a');
    assert.deepEqual(s.published, { 'collection.created': 1, 'record.deleted': 1, 'record.upserted': 1 });
    assert.deepEqual([s.total, s.delivered, s.subscribers], [3, 6, 3]);
    assert.deepEqual(bus.stats('b').published, {});
    assert.equal(bus.stats('b').subscribers, 1);
  });

  it('a full queue skips (counted) or drops the subscriber (told once); memory stays bounded', async () => {
    const bus = new EventBus();
    const skipper: VectraEvent[] = [];
    const sk = bus.subscribe('t', ['*'], (e) => skipper.push(e), { maxQueue: 10, overflow: 'skip' });
    let dropped = 0;
    const dropper: VectraEvent[] = [];
    const dr = bus.subscribe('t', ['*'], (e) => dropper.push(e), { maxQueue: 10, onDropped: () => dropped++ });
    // 100,000 events in one turn: nothing drains in between.
    for (let i = 0; i < 100_000; i++) bus.publish('t', 'record.upserted', { i });
    await turn();
    assert.equal(skipper.length, 10);
    assert.deepEqual(skipper.map((e) => e.data.i), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(sk.skipped, 99_990);
    assert.equal(dropped, 1);
    assert.equal(dr.active, false);
    assert.equal(dropper.length, 0, 'a dropped subscriber gets nothing more, not even what it had queued');
    const s = bus.stats('t');
    assert.deepEqual([s.skipped, s.droppedSubscribers, s.subscribers], [99_990, 1, 1]);
    // The skipper goes on receiving once it has room again.
    bus.publish('t', 'record.deleted', { i: -1 });
    await turn();
    assert.equal(skipper.at(-1)!.data.i, -1);
  });

  it('a subscriber that throws hurts no other; close stops delivery at once', async () => {
    const bus = new EventBus();
    const got: number[] = [];
    bus.subscribe('t', ['*'], () => {
      throw new Error('boom');
    });
    const sub = bus.subscribe('t', ['*'], (e) => got.push(e.data.i as number));
    bus.publish('t', 'record.upserted', { i: 1 });
    await turn();
    bus.publish('t', 'record.upserted', { i: 2 });
    sub.close();
    await turn();
    assert.deepEqual(got, [1]);
    assert.equal(bus.stats('t').subscribers, 1);
  });

  it('event ids are unique', () => {
    const bus = new EventBus();
    const ids = new Set(Array.from({ length: 10_000 }, () => bus.publish('t', 'record.upserted', {}).id));
    assert.equal(ids.size, 10_000);
  });
});
