/** Keyword search (BM25 over SQLite FTS5): ranking, safety of any query text, filters, upkeep. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { Collection } from '../../src/engine/index.js';
import { ftsQuery, keywordTerms, MAX_QUERY_TERMS } from '../../src/engine/keyword.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const quiet = { logger: memoryLogger() };
const DOCS = [
  { id: 'a', text: 'The quick brown fox jumps over the lazy dog', metadata: { kind: 'story', year: 2001 } },
  { id: 'b', text: 'The fox', metadata: { kind: 'title', year: 2010 } },
  { id: 'c', text: 'A fox and another fox and then a third fox came along the road', metadata: { kind: 'story', year: 2020 } },
  { id: 'd', text: 'Nothing relevant here at all', metadata: { kind: 'story', year: 2020 } },
  { id: 'e', text: 'Le café de la gare, crème brûlée', metadata: { kind: 'menu', year: 2015 } },
  { id: 'f', vector: [0, 1], metadata: { kind: 'vector only' } },
];

async function collection(dir = join(tempDir(), 'c')): Promise<Collection> {
  const c = await Collection.create(dir, { dimension: 2 }, quiet);
  c.upsert(DOCS.map((d, i) => ({ ...d, vector: d.vector ?? [1, i + 1] })));
  return c;
}

const ids = (c: Collection, text: string, k = 10, filter?: Record<string, unknown>) => c.keywordSearch({ text, k, filter, include: 'id' }).hits.map((h) => h.id);
const score = (c: Collection, text: string, id: string) => c.keywordSearch({ text, k: 10, include: 'id' }).hits.find((h) => h.id === id)!.score;

describe('keyword search (BM25)', () => {
  it('ranks by term frequency, document length and term rarity', async () => {
    const c = await collection();
    assert.deepEqual(new Set(ids(c, 'fox')), new Set(['a', 'b', 'c']));
    assert.ok(score(c, 'fox', 'c') > score(c, 'fox', 'a'), 'three foxes beat one in a text of similar length');
    assert.ok(score(c, 'fox', 'b') > score(c, 'fox', 'a'), 'the same one fox counts more in a shorter text');
    assert.equal(ids(c, 'lazy fox')[0], 'a', 'the only text with both words, one of them rare');
    const hits = c.keywordSearch({ text: 'fox road', k: 10 }).hits;
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
    assert.equal(hits[0].text, DOCS[2].text); // payload by default
    await c.close();
  });

  it('stems English words and folds accents', async () => {
    const c = await collection();
    // "jumping" → jump (a has "jumps"), "foxes" → fox: a has both, so it comes first.
    assert.equal(ids(c, 'jumping foxes')[0], 'a');
    assert.deepEqual(new Set(ids(c, 'jumping foxes')), new Set(['a', 'b', 'c']));
    assert.deepEqual(ids(c, 'jumped'), ['a']);
    assert.deepEqual(ids(c, 'CAFE creme brulee'), ['e']);
    await c.close();
  });

  it('query syntax in the text is taken as words, never as operators', async () => {
    const c = await collection();
    // "NOT dog" would exclude a in FTS5 syntax; here "not" and "dog" are just words.
    assert.ok(ids(c, 'fox NOT dog').includes('a'));
    assert.equal(ids(c, 'fox NOT dog')[0], 'a');
    for (const q of ['"fox', 'fox*', 'NEAR(fox dog)', 'text:fox', '-fox', '^fox', '(fox', 'fox)', "fox'; DROP TABLE records; --", '🦊 fox 🦊', 'fox AND', 'OR fox', '"" fox ""']) {
      assert.ok(ids(c, q).includes('b'), q);
    }
    for (const q of ['', '   ', '🦊', '!!!', '"*"', '()']) assert.deepEqual(ids(c, q), [], q);
    assert.equal(c.count(), DOCS.length);
    await c.close();
  });

  it('any text at all: no error, at most k hits, best first (property)', async () => {
    const c = await collection();
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fc.constantFrom('fox', 'AND', 'OR', 'NOT', 'NEAR', '"', '*', '^', ':', '(', ')', '-', '+', '{', '}', 'text:', 'café', '\u0000', '\ud800', '🦊', ' '), { maxLength: 30 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 8 }), (q, k) => {
        const hits = c.keywordSearch({ text: q, k, include: 'id' }).hits;
        assert.ok(hits.length <= k);
        for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
        // Records without text never match.
        assert.ok(!hits.some((h) => h.id === 'f'));
      }),
      { numRuns: 600 },
    );
    await c.close();
  });

  it('a very long query keeps its first words', () => {
    const words = Array.from({ length: 500 }, (_, i) => `w${i}`);
    assert.equal(keywordTerms(words.join(' ')).length, MAX_QUERY_TERMS);
    assert.equal(ftsQuery('Fox, fox; FOX!'), '"fox"');
    assert.equal(ftsQuery('¿?'), null);
  });

  it('metadata filters apply', async () => {
    const c = await collection();
    assert.deepEqual(ids(c, 'fox', 10, { kind: 'story' }).sort(), ['a', 'c']);
    assert.deepEqual(ids(c, 'fox', 10, { year: { $gte: 2010 } }).sort(), ['b', 'c']);
    assert.deepEqual(ids(c, 'fox', 10, { kind: 'menu' }), []);
    await c.close();
  });

  it('follows updates and deletes, and survives a reopen', async () => {
    const dir = join(tempDir(), 'c');
    const c = await collection(dir);
    c.upsert([{ id: 'b', vector: [1, 1], text: 'The wolf' }]);
    assert.ok(!ids(c, 'fox').includes('b'));
    assert.deepEqual(ids(c, 'wolf'), ['b']);
    c.upsert([{ id: 'b', vector: [1, 1], metadata: { kind: 'no text now' } }]);
    assert.deepEqual(ids(c, 'wolf'), []);
    c.delete(['c']);
    assert.deepEqual(ids(c, 'fox'), ['a']);
    await c.close();
    const again = await Collection.open(dir, quiet);
    assert.deepEqual(ids(again, 'fox'), ['a']);
    assert.deepEqual(ids(again, 'gare'), ['e']);
    await again.close();
  });

  it('a collection made before keyword search gets its text index on open', async () => {
    const dir = join(tempDir(), 'c');
    const c = await collection(dir);
    await c.close();
    const db = new Database(join(dir, 'records.db'));
    db.exec('DROP TRIGGER records_fts_insert; DROP TRIGGER records_fts_delete; DROP TRIGGER records_fts_update; DROP TABLE records_fts;');
    db.close();
    const again = await Collection.open(dir, quiet);
    assert.deepEqual(new Set(ids(again, 'fox')), new Set(['a', 'b', 'c']));
    again.upsert([{ id: 'g', vector: [1, 9], text: 'fox fox fox fox' }]);
    assert.equal(ids(again, 'fox')[0], 'g');
    await again.close();
  });

  it('highlights the matched words in a snippet', async () => {
    const c = await collection();
    const hits = c.keywordSearch({ text: 'foxes', k: 3, highlight: { pre: '[', post: ']' } }).hits;
    const b = hits.find((h) => h.id === 'b')!;
    assert.equal(b.highlight, 'The [fox]');
    assert.ok(hits.every((h) => h.highlight?.includes('[fox]')));
    await c.close();
  });
});
