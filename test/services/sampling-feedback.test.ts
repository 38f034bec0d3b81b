/** Temperature sampling (Gumbel-top-k = successive softmax draws) and the feedback store's bounds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleBySoftmax } from '../../src/services/sampling.js';
import { FeedbackStore, MAX_PER_ACTOR, boostOf, feedbackRerank, queryKey, signalWeight } from '../../src/services/feedback.js';
import { tempDir } from '../support/tmp.js';

describe('sampleBySoftmax', () => {
  it('temperature 0 is the ranking: the k best, best first', () => {
    assert.deepEqual(sampleBySoftmax([0.2, 0.9, 0.5, 0.9], 3, 0, 1), [1, 3, 2]);
  });

  it('the same seed draws the same; another seed may not', () => {
    const scores = Array.from({ length: 50 }, (_, i) => 1 - i / 100);
    assert.deepEqual(sampleBySoftmax(scores, 10, 0.05, 42), sampleBySoftmax(scores, 10, 0.05, 42));
    const answers = new Set(Array.from({ length: 20 }, (_, s) => sampleBySoftmax(scores, 10, 0.05, s).join(',')));
    assert.ok(answers.size > 10, `${answers.size} distinct answers from 20 seeds`);
  });

  it('first draws follow softmax(score / T): P(best of [1, 0] at T=1) = e / (e + 1)', () => {
    let first = 0;
    const n = 20_000;
    for (let s = 0; s < n; s++) if (sampleBySoftmax([1, 0], 1, 1, s)[0] === 0) first++;
    assert.ok(Math.abs(first / n - Math.E / (Math.E + 1)) < 0.015, `${first / n}`);
  });

  it('second draws are conditional on the first (without replacement): three scores, exact pair frequencies', () => {
    const scores = [Math.log(3), Math.log(2), 0]; // weights 3 : 2 : 1
    const counts = new Map<string, number>();
    const n = 30_000;
    for (let s = 0; s < n; s++) {
      const key = sampleBySoftmax(scores, 2, 1, s).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // P(0 then 1) = 3/6 · 2/3 = 1/3; P(2 then 0) = 1/6 · 3/5 = 0.1.
    assert.ok(Math.abs(counts.get('01')! / n - 1 / 3) < 0.015, `${counts.get('01')! / n}`);
    assert.ok(Math.abs(counts.get('20')! / n - 0.1) < 0.01, `${counts.get('20')! / n}`);
  });

  it('a huge temperature is close to uniform over the candidates', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 200; s++) for (const i of sampleBySoftmax(Array.from({ length: 40 }, (_, i) => -i), 5, 100, s)) seen.add(i);
    assert.equal(seen.size, 40);
  });
});

describe('feedback', () => {
  const scope = { tenant: 't', collection: 'c', instance: '1' };
  const q = (x: number, y: number) => queryKey(undefined, Float32Array.from([x, y]));

  it('signal weights; "value" only with dwell', () => {
    assert.equal(signalWeight('click', undefined), 0.5);
    assert.equal(signalWeight('bookmark', undefined), 1);
    assert.equal(signalWeight('skip', undefined), -0.5);
    assert.equal(signalWeight('dwell', 15), 0.5);
    assert.equal(signalWeight('dwell', 600), 1);
    assert.throws(() => signalWeight('click', 3), /dwell/);
  });

  it('an actor counts once per record, whatever it repeats; others add up', () => {
    const store = new FeedbackStore(tempDir());
    for (let i = 0; i < 20; i++) store.add(scope, q(1, 0), 'x', 'key1', 'spammer', 1);
    assert.deepEqual([...store.votes(scope, q(1, 0), ['x', 'y'], 0.8)], [['x', { sum: 1, users: 1 }]]);
    store.add(scope, q(1, 0), 'x', 'key1', 'alice', 0.5);
    store.add(scope, q(1, 0), 'x', 'key2', undefined, 0.5);
    assert.deepEqual(store.votes(scope, q(1, 0), ['x'], 0.8).get('x'), { sum: 2, users: 3 });
    // The spammer's many near-identical queries still count once: its strongest faded signal.
    for (let i = 1; i <= 10; i++) store.add(scope, q(1, i / 1000), 'x', 'key1', 'spammer', 1);
    assert.ok(Math.abs(store.votes(scope, q(1, 0), ['x'], 0.8).get('x')!.sum - 2) < 1e-9);
    store.close();
  });

  it('similar queries count, faded in above minSimilarity; dissimilar ones and other collections do not', () => {
    const store = new FeedbackStore(tempDir());
    store.add(scope, q(1, 0), 'x', 'k', undefined, 1);
    assert.equal(store.votes(scope, q(0, 1), ['x'], 0.8).size, 0);
    const cos = Math.cos(0.3); // 0.955
    const v = store.votes(scope, q(Math.cos(0.3), Math.sin(0.3)), ['x'], 0.8).get('x')!.sum;
    assert.ok(Math.abs(v - (cos - 0.8) / 0.2) < 1e-6, `${v}`);
    assert.equal(store.votes({ ...scope, instance: '2' }, q(1, 0), ['x'], 0.8).size, 0);
    assert.equal(store.votes({ ...scope, tenant: 'u' }, q(1, 0), ['x'], 0.8).size, 0);
    store.drop('t', 'c');
    assert.equal(store.votes(scope, q(1, 0), ['x'], 0.8).size, 0);
    store.close();
  });

  it('a flood drops only the flooder\'s own oldest signals', () => {
    const store = new FeedbackStore(tempDir());
    store.add(scope, q(1, 0), 'kept', 'k', 'alice', 1, 1);
    for (let i = 0; i <= MAX_PER_ACTOR; i++) store.add(scope, q(1, 0), `r${i}`, 'k', 'flood', 1, 10 + i);
    const v = store.votes(scope, q(1, 0), ['kept', 'r0', 'r1', `r${MAX_PER_ACTOR}`], 0.8);
    assert.equal(v.get('kept')?.sum, 1);
    assert.equal(v.get('r0'), undefined);
    assert.equal(v.get('r1')?.sum, 1);
    assert.equal(v.get(`r${MAX_PER_ACTOR}`)?.sum, 1);
    store.close();
  });

  it('rerank: relevance normalized plus weight × boost; the boost saturates and needs agreement', () => {
    const c = [{ id: 'a', score: 0.9 }, { id: 'b', score: 0.8 }, { id: 'c', score: 0.5 }];
    assert.deepEqual(feedbackRerank(c, new Map(), 0.5, false).map((h) => h.id), ['a', 'b', 'c']);
    // b: 0.75 of the range + 0.5 × tanh(4/3) × 4/5 passes a (1.0); c (0) cannot pass a, the boost being below 1 × 0.5.
    const r = feedbackRerank(c, new Map([['b', { sum: 4, users: 4 }], ['c', { sum: 100, users: 100 }]]), 0.5, false);
    assert.deepEqual(r.map((h) => h.id), ['b', 'a', 'c']);
    assert.ok(Math.abs(r[0].combined - (0.75 + 0.5 * Math.tanh(4 / 3) * 0.8)) < 1e-9);
    // One user alone: half of what its signal would give with agreement.
    assert.equal(boostOf({ sum: 1, users: 1 }), Math.tanh(1 / 3) / 2);
    assert.equal(boostOf(undefined), 0);
    // Distances (lower is better) are turned around first.
    assert.deepEqual(feedbackRerank([{ id: 'n', score: 0.1 }, { id: 'f', score: 2 }], new Map(), 0.5, true).map((h) => h.id), ['n', 'f']);
  });
});
