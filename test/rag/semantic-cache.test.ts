/** The semantic cache: the threshold, the state key, the age limit and the size bound. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SemanticCache } from '../../src/rag/semantic-cache.js';

const v = (...xs: number[]) => Float32Array.from(xs);

describe('semantic cache', () => {
  it('answers a question at or above the threshold, in the same state, for the same tenant only', () => {
    const c = new SemanticCache<string>({ threshold: 0.95, ttlMs: 60_000, maxEntries: 10 });
    c.set('t', 's1', v(1, 0, 0), 'A');
    assert.equal(c.get('t', 's1', v(1, 0.1, 0)), 'A', 'cosine 0.995');
    assert.equal(c.get('t', 's1', v(1, 0.5, 0)), null, 'cosine 0.894');
    assert.equal(c.get('t', 's2', v(1, 0, 0)), null, 'another state (a write happened)');
    assert.equal(c.get('u', 's1', v(1, 0, 0)), null, 'another tenant');
    assert.equal(c.get('t', 's1', v(0, 0, 0)), null, 'a zero vector matches nothing');
    assert.deepEqual([c.hits, c.misses], [1, 4]);
  });

  it('forgets answers older than the TTL, and keeps at most maxEntries per tenant (least recently used first out)', () => {
    const c = new SemanticCache<string>({ threshold: 0.99, ttlMs: 1000, maxEntries: 2 });
    c.set('t', 's', v(1, 0), 'old', 0);
    assert.equal(c.get('t', 's', v(1, 0), 500), 'old');
    assert.equal(c.get('t', 's', v(1, 0), 1501), null, 'past its TTL');
    assert.equal(c.size(), 0, 'and gone');
    c.set('t', 's', v(1, 0), 'x', 2000);
    c.set('t', 's', v(0, 1), 'y', 2000);
    assert.equal(c.get('t', 's', v(1, 0), 2001), 'x', 'x used: y is now the least recent');
    c.set('t', 's', v(1, 1), 'z', 2002);
    assert.equal(c.size(), 2);
    assert.equal(c.get('t', 's', v(0, 1), 2003), null, 'y went');
    assert.equal(c.get('t', 's', v(1, 0), 2003), 'x');
  });
});
