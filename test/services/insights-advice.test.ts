/** Index advice at the service: the seam for recorded queries, and the exact oracle's answer checked by brute force. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Database } from '../../src/engine/index.js';
import { adviseCollection, defaultAdviceSample } from '../../src/services/insights/advice.js';
import { gaussianCloud } from '../support/planted.js';
import { tempDir } from '../support/tmp.js';

describe('insights: index advice (service)', () => {
  const db = Database.open(tempDir());
  after(() => db.close());

  it('recorded queries replace held-out ones: every vector is indexed, the given queries are scored', async () => {
    const c = await db.create('rec', { dimension: 16, metric: 'dot' });
    const base = gaussianCloud(1500, 16, 1);
    c.upsert(base.map((v, i) => ({ id: `r${i}`, vector: v })));
    const queries = gaussianCloud(40, 16, 2);
    const a = await adviseCollection(c, {}, { queries });
    assert.equal(a.sample.queriesFrom, 'recorded searches');
    assert.equal(a.sample.queries, 40);
    assert.equal(a.sample.vectors, 1500);
    // dot: no i8 (cosine only), binary measured with its per-vector scales.
    assert.deepEqual(a.candidates.map((x) => `${x.index} ${x.storage}`), ['flat f32', 'hnsw f32', 'hnsw f16', 'flat binary']);
    assert.ok(a.notMeasured.some((n) => n.storage === 'i8'));
    assert.equal(a.candidates[3].bytesPerVector, 2 + 4);
    assert.equal(a.candidates[0].recallAt[0].recall, 1);
  });

  it('l2: neither i8 nor binary; the default sample shrinks for long vectors', async () => {
    const c = await db.create('l2', { dimension: 8, metric: 'l2' });
    c.upsert(gaussianCloud(1200, 8, 3).map((v, i) => ({ id: `r${i}`, vector: v })));
    const a = await adviseCollection(c, { queries: 20 });
    assert.deepEqual(a.candidates.map((x) => `${x.index} ${x.storage}`), ['flat f32', 'hnsw f32', 'hnsw f16']);
    assert.equal(a.sample.vectors, 1180);
    assert.equal(defaultAdviceSample(100), 5000);
    assert.equal(defaultAdviceSample(768), 2604);
    assert.equal(defaultAdviceSample(65536), 100);
  });
});
