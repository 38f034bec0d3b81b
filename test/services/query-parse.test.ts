/**
 * Query understanding: a table of phrasings with the filter each must produce, against a
 * collection schema with several numeric fields and a date field, fields chosen with the
 * real built-in model.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BuiltinGloveModel, GloveSource } from '../../src/embed/builtin.js';
import { EmbedPool } from '../../src/embed/pool.js';
import { extractConstraints, parseDate, parseNumber, parseQuery, type FieldInfo } from '../../src/services/query-parse.js';
import { MODEL_CACHE } from '../support/server.js';

const FIELDS: FieldInfo[] = [
  { path: 'wage', kind: 'number' },
  { path: 'salary', kind: 'number' },
  { path: 'price', kind: 'number' },
  { path: 'bedrooms', kind: 'number' },
  { path: 'experience_years', kind: 'number' },
  { path: 'rating', kind: 'number' },
  { path: 'year', kind: 'number' },
  { path: 'posted_at', kind: 'date' },
];

// [query, expected filter (null: none), expected remaining query]
const TABLE: [string, Record<string, unknown> | null, string][] = [
  ['Hourly wage not less than $13', { wage: { $gte: 13 } }, 'Hourly wage'],
  ['jobs paying at least $15 an hour', { wage: { $gte: 15 } }, 'jobs'],
  ['warehouse work, $18 per hour or more', { wage: { $gte: 18 } }, 'warehouse work'],
  ['barista wage no less than 12 dollars', { wage: { $gte: 12 } }, 'barista wage'],
  ['wage over $20/hr', { wage: { $gt: 20 } }, 'wage'],
  ['hourly pay above 16', { wage: { $gt: 16 } }, 'hourly pay'],
  ['wage of at most $11 per hour', { wage: { $lte: 11 } }, 'wage'],
  ['salary more than $100k', { salary: { $gt: 100000 } }, 'salary'],
  ['engineer with annual salary of at least 150,000', { salary: { $gte: 150000 } }, 'engineer with annual salary'],
  ['remote roles paying over $120,000 a year', { salary: { $gt: 120000 } }, 'remote roles'],
  ['salary between 80k and 120k', { salary: { $gte: 80000, $lte: 120000 } }, 'salary'],
  ['salary from $50,000 to $70,000', { salary: { $gte: 50000, $lte: 70000 } }, 'salary'],
  ['laptop under $500', { price: { $lt: 500 } }, 'laptop'],
  ['headphones cheaper than 80 euros', { price: { $lt: 80 } }, 'headphones'],
  ['price no more than $1,200', { price: { $lte: 1200 } }, 'price'],
  ['espresso machine priced below $300', { price: { $lt: 300 } }, 'espresso machine'],
  ['bikes $200-$400', { price: { $gte: 200, $lte: 400 } }, 'bikes'],
  ['price up to 2.5 million', { price: { $lte: 2500000 } }, 'price'],
  ['house with at least 3 bedrooms', { bedrooms: { $gte: 3 } }, 'house'],
  ['apartment with fewer than 2 bedrooms', { bedrooms: { $lt: 2 } }, 'apartment'],
  ['between 2 and 4 bedrooms near a park', { bedrooms: { $gte: 2, $lte: 4 } }, 'near a park'],
  ['4+ bedrooms', { bedrooms: { $gte: 4 } }, ''],
  ['developer with more than 5 years of experience', { experience_years: { $gt: 5 } }, 'developer'],
  ['nurse, 3 years experience or less', { experience_years: { $lte: 3 } }, 'nurse'],
  ['restaurants rated at least 4.5', { rating: { $gte: 4.5 } }, 'restaurants rated'],
  ['hotels with rating ≥ 4', { rating: { $gte: 4 } }, 'hotels with rating'],
  ['jobs posted after March 2024', { posted_at: { $gte: '2024-04' } }, 'jobs'],
  ['listings posted before 2024-01-15', { posted_at: { $lt: '2024-01-15' } }, 'listings'],
  ['jobs posted since Jan 5, 2024', { posted_at: { $gte: '2024-01-05' } }, 'jobs'],
  ['posted between 2023-06-01 and 2023-06-30', { posted_at: { $gte: '2023-06-01', $lt: '2023-07-01' } }, ''],
  ['offers posted until December 2023', { posted_at: { $lt: '2024-01' } }, 'offers'],
  ['cars made after 2015', { year: { $gte: 2016 } }, 'cars'],
  ['cars made before 2010 under $8,000', { $and: [{ year: { $lt: 2010 } }, { price: { $lt: 8000 } }] }, 'cars'],
  ['cozy cabin in the woods', null, 'cozy cabin in the woods'],
  ['top 10 movies of all time', null, 'top 10 movies of all time'],
];

describe('query understanding', () => {
  let pool: EmbedPool;
  let model: BuiltinGloveModel;
  before(async () => {
    pool = new EmbedPool({ threads: 1 });
    model = new BuiltinGloveModel('glove-100d-v2', new GloveSource(MODEL_CACHE, pool), pool);
    await model.warm();
  });
  after(() => pool.close());

  it(`${TABLE.length} phrasings become the right filter and leave the right query`, async () => {
    const failures: string[] = [];
    for (const [q, filter, rest] of TABLE) {
      const p = await parseQuery(q, FIELDS, (t) => model.embed(t, 'document'));
      if (JSON.stringify(p.filter) !== JSON.stringify(filter) || p.query !== rest) {
        failures.push(`${q}\n    got ${JSON.stringify(p.filter)} / "${p.query}"  unmatched ${JSON.stringify(p.unmatched)}\n    want ${JSON.stringify(filter)} / "${rest}"`);
      }
    }
    assert.equal(failures.length, 0, `\n${failures.join('\n')}`);
  });

  it('aliases name a field outright', async () => {
    const p = await parseQuery('gigs with compensation of at least 30', FIELDS, (t) => model.embed(t, 'document'), { wage: ['compensation'] });
    assert.deepEqual(p.filter, { wage: { $gte: 30 } });
  });

  it('a constraint with no field of its kind is reported, not applied', async () => {
    const p = await parseQuery('events after March 2020', [{ path: 'price', kind: 'number' }], (t) => model.embed(t, 'document'));
    assert.equal(p.filter, null);
    assert.equal(p.unmatched.length, 1);
    assert.match(p.unmatched[0].reason, /date/);
  });

  it('adversarial text parses in linear time', { timeout: 20_000 }, async () => {
    // Regression: "1,1,1,…" made a range pattern quadratic (3.4 s at 60k characters).
    for (const text of ['1,'.repeat(50_000), `${'-'.repeat(50_000)}x at least 5`, `${'with '.repeat(20_000)}over 3`]) {
      await parseQuery(text, FIELDS, (t) => model.embed(t, 'document'));
    }
  });

  it('numbers and dates', () => {
    assert.equal(parseNumber('$1,500.50'), 1500.5);
    assert.equal(parseNumber('150k'), 150000);
    assert.equal(parseNumber('2.5 million'), 2500000);
    assert.deepEqual(parseDate('March 2024'), { iso: '2024-03', next: '2024-04' });
    assert.deepEqual(parseDate('Dec 31st, 2023'), { iso: '2023-12-31', next: '2024-01-01' });
    assert.deepEqual(parseDate('5 February 2024'), { iso: '2024-02-05', next: '2024-02-06' });
    assert.deepEqual(parseDate('2023'), { iso: '2023', next: '2024' });
    assert.equal(parseDate('Smarch 2024'), null);
    assert.equal(extractConstraints('no numbers here').length, 0);
  });
});
