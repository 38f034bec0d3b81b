/** The query thesaurus (nearest words of the built-in model's GloVe vectors), over the real vectors in the shared form the server loads. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { defaultGloveCache } from '../../src/embed/glove.js';
import { COMMON_ROWS, expandedText, MAX_EXPANDED_WORDS, Thesaurus } from '../../src/embed/thesaurus.js';
import { loadSharedGlove } from '../../src/embed/word-vectors.js';
import { glove, REPO_ROOT } from '../support/glove.js';

let t: Thesaurus;

before(async () => {
  glove(); // the converted cache exists
  t = Thesaurus.ofShared(await loadSharedGlove(defaultGloveCache(REPO_ROOT)));
});

describe('thesaurus', () => {
  it('the nearest words of "car" are car words, most similar first, above the floor', async () => {
    const [car] = await t.expand('car', { terms: 5, minSimilarity: 0.5 });
    assert.equal(car.word, 'car');
    const words = car.neighbours.map((n) => n.word);
    assert.equal(words.length, 5);
    for (const w of ['vehicle', 'truck', 'cars']) assert.ok(words.includes(w), `${w} not in ${words}`);
    assert.ok(!words.includes('car'), 'never the word itself');
    const sims = car.neighbours.map((n) => n.similarity);
    assert.deepEqual(sims, [...sims].sort((a, b) => b - a));
    assert.ok(sims.every((s) => s >= 0.5 && s <= 1));
    // A floor above every neighbour's similarity leaves none; `terms` bounds how many.
    assert.deepEqual((await t.expand('car', { terms: 5, minSimilarity: 0.99 }))[0].neighbours, []);
    assert.equal((await t.expand('car', { terms: 1, minSimilarity: 0 }))[0].neighbours.length, 1);
  });

  it('stop words and the most frequent words are not expanded, nor offered as neighbours', async () => {
    assert.deepEqual(await t.expand('the and of with what is it', { terms: 2, minSimilarity: 0 }), []);
    // Stop words rarer than the most frequent words: the list, not the frequency, leaves them out.
    assert.deepEqual(await t.expand('please describe whom', { terms: 2, minSimilarity: 0 }), []);
    const r = await t.expand('what was said about the car this year', { terms: 5, minSimilarity: 0 });
    assert.deepEqual(r.map((w) => w.word), ['car'], '"said" and "year" are among the most frequent words');
    assert.ok(r[0].rank >= COMMON_ROWS);
    const happy = await t.expand('happy', { terms: 5, minSimilarity: 0 });
    for (const n of happy[0].neighbours) assert.ok(!['the', 'and', 'we', 'very', 'so'].includes(n.word), n.word);
  });

  it('unknown words are ignored; neighbours are never words of the text or repeated', async () => {
    assert.deepEqual(await t.expand('zorblaxquix flimflarnq 1234', { terms: 2, minSimilarity: 0 }), []);
    const r = await t.expand('Zorblaxquix car TRUCK', { terms: 5, minSimilarity: 0 });
    assert.deepEqual(r.map((w) => w.word), ['car', 'truck']);
    const all = r.flatMap((w) => w.neighbours.map((n) => n.word));
    assert.ok(!all.includes('car') && !all.includes('truck'), all.join(' '));
    assert.equal(new Set(all).size, all.length, 'a neighbour another word already brought is not added twice');
  });

  it('a long text expands only its rarest words; the expanded text is the text plus the neighbours', async () => {
    const long = 'river bank money credit loan music guitar piano violin doctor nurse hospital car truck engine wheel forest tree leaf flower garden';
    const words = t.contentWords(long);
    assert.equal(words.length, MAX_EXPANDED_WORDS);
    const dropped = long.split(' ').filter((w) => !words.some((x) => x.word === w));
    for (const d of dropped) for (const w of words) assert.ok(t.contentWords(d)[0].row < w.row, `${d} is rarer than ${w.word}`);
    const r = await t.expand('car', { terms: 2, minSimilarity: 0.5 });
    assert.equal(expandedText('car', r), `car ${r[0].neighbours.map((n) => n.word).join(' ')}`);
    assert.equal(expandedText('the', []), 'the');
  });
});
