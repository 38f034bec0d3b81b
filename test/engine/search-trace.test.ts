/**
 * A search's trace (explain): the plan the planner chose and why, the filter's selectivity
 * estimate, the widening rounds of a filtered graph walk, the stages that ran. On planted
 * filters of known selectivity over 3000 records: `rare` matches 50 (under the threshold of
 * 1000: an exact scan of the matches), `band` matches 1200 (over it: a graph walk that widens).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Collection, NO_TRACE, SearchTrace, type TraceStage } from '../../src/engine/index.js';
import { mulberry32 } from '../../src/random.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const N = 3000;
const DIM = 8;

function stagesOf(t: SearchTrace): TraceStage[] {
  return t.stages().map((s) => s.stage);
}

describe('search trace', () => {
  let c: Collection;
  const rnd = mulberry32(7);
  const vec = () => Array.from({ length: DIM }, () => rnd() * 2 - 1);
  const query = vec();

  before(async () => {
    // f32: the graph's distances are exact, nothing to rescore on an unfiltered walk (f16 below).
    c = await Collection.create(join(tempDir(), 'c'), { dimension: DIM, storage: 'f32' }, { logger: memoryLogger() });
    c.upsert(Array.from({ length: N }, (_, i) => ({ id: `r${i}`, vector: vec(), metadata: { rare: i < 50, band: i % 5 < 2 } })));
  });

  it('a selective filter: exact scan of its matches, with the count, threshold and selectivity', () => {
    const trace = new SearchTrace();
    const r = c.search({ vector: query, k: 10, filter: { rare: true }, trace });
    assert.equal(r.plan, 'exact-filtered');
    const p = trace.plan!;
    assert.equal(p.plan, 'exact-filtered');
    assert.deepEqual(p.filter, { matches: 50, exact: true, threshold: 1000, rule: 'max(k, min(5000, max(1000, 2 % of the records)))', total: N, selectivity: 50 / N });
    assert.match(p.reason, /matches 50 of 3000 records, no more than the threshold 1000/);
    assert.equal(p.rounds, undefined);
    assert.deepEqual(stagesOf(trace), ['filter', 'scan', 'fetch']);
    const byStage = new Map(trace.stages().map((s) => [s.stage, s]));
    assert.equal(byStage.get('filter')!.candidates, 50);
    assert.equal(byStage.get('scan')!.candidates, 10);
    assert.equal(byStage.get('fetch')!.candidates, 10);
    for (const s of trace.stages()) assert.ok(s.ms >= 0 && Number.isFinite(s.ms));
    // The answer is what an untraced search gives.
    assert.deepEqual(r.hits, c.search({ vector: query, k: 10, filter: { rare: true } }).hits);
  });

  it('a broad filter: a graph walk, counting stopped at threshold + 1, widened in rounds until ef passed', () => {
    const trace = new SearchTrace();
    const r = c.search({ vector: query, k: 10, filter: { band: true }, trace });
    assert.equal(r.plan, 'hnsw-filtered');
    const p = trace.plan!;
    assert.equal(p.plan, 'hnsw-filtered');
    assert.equal(p.filter!.matches, 1001);
    assert.equal(p.filter!.exact, false);
    assert.equal(p.filter!.threshold, 1000);
    assert.match(p.reason, /matches more than 1000 of 3000 records \(counting stopped at 1001\)/);
    // 40 % pass: the first round (breadth = ef 200) finds ~80 passing, so it widens.
    const rounds = p.rounds!;
    assert.ok(rounds.length >= 2, JSON.stringify(rounds));
    assert.equal(rounds[0].breadth, 200);
    for (let i = 1; i < rounds.length; i++) assert.ok(rounds[i].breadth > rounds[i - 1].breadth && rounds[i].passed >= rounds[i - 1].passed);
    const last = rounds[rounds.length - 1];
    assert.ok(last.passed >= 200, JSON.stringify(rounds));
    // Every passing candidate does pass: 40 % of those checked, give or take.
    assert.ok(last.passed / last.checked > 0.3 && last.passed / last.checked < 0.5, JSON.stringify(last));
    assert.deepEqual(p.graph && { ...p.graph, note: '' }, { searches: rounds.length, breadth: last.breadth, returned: last.found, visited: null, distances: null, note: '' });
    assert.match(p.graph!.note, /usearch's JavaScript binding/);
    assert.deepEqual(stagesOf(trace), ['filter', 'graph', 'rescore', 'fetch']);
    const byStage = new Map(trace.stages().map((s) => [s.stage, s]));
    assert.equal(byStage.get('filter')!.candidates, last.passed);
    assert.equal(byStage.get('graph')!.candidates, last.found);
    assert.equal(byStage.get('rescore')!.candidates, 10);
    // Same answer as the exact oracle on this small set.
    assert.deepEqual(r.hits.map((h) => h.id), c.search({ vector: query, k: 10, filter: { band: true }, exact: true }).hits.map((h) => h.id));
  });

  it('no filter: a graph walk of breadth ef; exact: a scan; a trace changes no answer', () => {
    const trace = new SearchTrace();
    const r = c.search({ vector: query, k: 5, trace });
    assert.equal(trace.plan!.plan, 'hnsw');
    assert.equal(trace.plan!.graph!.breadth, 200);
    assert.equal(trace.plan!.graph!.returned, 5);
    assert.deepEqual(stagesOf(trace), ['graph', 'fetch']);
    assert.deepEqual(r, c.search({ vector: query, k: 5 }));
    const exact = new SearchTrace();
    c.search({ vector: query, k: 5, exact: true, trace: exact });
    assert.equal(exact.plan!.plan, 'exact');
    assert.match(exact.plan!.reason, /"exact": true/);
    assert.deepEqual(stagesOf(exact), ['scan', 'fetch']);
  });

  it('f16 storage: the graph\'s candidates are rescored with the full vectors', async () => {
    const f16 = await Collection.create(join(tempDir(), 'c16'), { dimension: DIM, storage: 'f16' }, { logger: memoryLogger() });
    f16.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, vector: vec() })));
    const trace = new SearchTrace();
    f16.search({ vector: query, k: 5, trace });
    assert.deepEqual(stagesOf(trace), ['graph', 'rescore', 'fetch']);
    assert.equal(trace.stages()[1].candidates, 5);
    await f16.close();
  });

  it('searchBatched runs a traced search on its own and fills the trace', async () => {
    const trace = new SearchTrace();
    const [traced, plain] = await Promise.all([c.searchBatched({ vector: query, k: 5, trace }), c.searchBatched({ vector: query, k: 5 })]);
    assert.deepEqual(traced, plain);
    assert.equal(trace.plan!.plan, 'hnsw');
    assert.deepEqual(stagesOf(trace), ['graph', 'fetch']);
  });

  it('NO_TRACE records nothing', () => {
    c.search({ vector: query, k: 5, filter: { band: true }, trace: NO_TRACE });
    assert.equal(NO_TRACE.plan, undefined);
    assert.deepEqual(NO_TRACE.stages(), []);
  });
});
