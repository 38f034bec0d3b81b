/**
 * Versions of a "document" as chunk records, for the replace tests (test/engine/replace.test.ts,
 * test/reliability/document-crash.test.ts): chunk i of version `ver` has a vector and a text of
 * its own, so what is stored tells which version it came from — and a mix of two versions shows.
 */
import assert from 'node:assert/strict';
import type { Collection, RecordInput } from '../../src/engine/index.js';

export const DIM = 8;

export function chunk(doc: string, ver: number, i: number, n: number): RecordInput {
  const vector = Array.from({ length: DIM }, (_, d) => Math.sin(ver * 31 + i * 7 + d * 3 + doc.length));
  return { id: `${doc}#${i}`, vector, text: `${doc} version${ver} part${i} ${['lorem', 'ipsum', 'dolor', 'amet'][i % 4]}`, metadata: { _document: doc, _chunk: i, _chunks: n, ver } };
}

export const version = (doc: string, ver: number, n: number): RecordInput[] => Array.from({ length: n }, (_, i) => chunk(doc, ver, i, n));

/** Every stored record of `doc`: id → its version. */
export function stored(c: Collection, doc: string): Map<string, number> {
  return new Map(c.list({ filter: { _document: doc }, limit: 10000 }).records.map((r) => [r.id, r.metadata.ver as number]));
}

/** The document is exactly version `ver` with `n` chunks, by get, list, count and search (graph, exact, keyword). */
export function assertWhole(c: Collection, doc: string, ver: number, n: number, what: string): void {
  assert.deepEqual(stored(c, doc), new Map(Array.from({ length: n }, (_, i) => [`${doc}#${i}`, ver])), `${what}: list`);
  assert.equal(c.count({ _document: doc }), n, `${what}: count`);
  for (let i = 0; i < n + 3; i++) {
    const r = c.get(`${doc}#${i}`, { includeVector: true });
    if (i >= n) {
      assert.equal(r, null, `${what}: ${doc}#${i} is gone`);
      continue;
    }
    assert.equal(r?.metadata.ver, ver, `${what}: ${doc}#${i}`);
    const want = chunk(doc, ver, i, n).vector as number[];
    assert.ok(r!.vector!.every((x, d) => Math.abs(x - want[d]) < 1e-6), `${what}: ${doc}#${i}'s vector`);
    // Its own vector finds it first, in the graph and exactly; no id of another version comes back.
    for (const exact of [false, true]) {
      const hits = c.search({ vector: want, k: 20, exact, include: 'payload' }).hits;
      assert.equal(hits[0].id, `${doc}#${i}`, `${what}: search (exact ${exact}) for ${doc}#${i}`);
      for (const h of hits) if (h.id.startsWith(`${doc}#`)) assert.equal(h.metadata?.ver, ver, `${what}: ${h.id} found at its version`);
    }
  }
  const words = Array.from({ length: n + 10 }, (_, i) => `part${i}`).join(' ');
  const found = c.keywordSearch({ text: words, k: 1000 }).hits.filter((h) => h.id.startsWith(`${doc}#`));
  assert.ok(found.every((h) => Number(h.id.split('#')[1]) < n), `${what}: keyword search finds no deleted chunk: ${found.map((h) => h.id)}`);
}
