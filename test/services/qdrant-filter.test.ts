/**
 * Qdrant filters translated to Vectra's (src/services/qdrant/filter.ts) select what Qdrant
 * selects: random filters on random payloads, the translation compiled by the engine against a
 * naive evaluator written from Qdrant's condition checker (test/support/qdrant.ts). Exact on
 * scalar values for every condition, and on array values for the conditions docs/compat.md
 * says are exact there; the documented differences on arrays are pinned as such.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compilePredicate, parseFilter } from '../../src/engine/filter.js';
import { toVectraFilter } from '../../src/services/qdrant/filter.js';
import { qdrantMatches } from '../support/qdrant.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Does a point pass the translated filter, as Vectra's engine evaluates it? */
function vectraMatches(filter: unknown, payload: Record<string, unknown>, id: number): boolean {
  return compilePredicate(parseFilter(toVectraFilter(filter) ?? {}))(payload, String(id));
}

const scalar = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom(0.5, 'a', 'b', ''), fc.boolean(), fc.constant(null));
const scalarPayload = fc.record({ a: scalar, b: scalar, o: fc.record({ x: scalar }, { requiredKeys: [] }) }, { requiredKeys: [] });
const arrayPayload = fc.record({ t: fc.array(fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom('a', 'b')), { maxLength: 3 }), a: scalar }, { requiredKeys: [] });

const key = fc.constantFrom('a', 'b', 'o.x', 'o', 'missing');
const strings = fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 });
const ints = fc.array(fc.integer({ min: -2, max: 2 }), { maxLength: 3 });
const bound = fc.option(fc.constantFrom(-1, 0, 0.5, 1, 2), { nil: undefined });
const matchValue = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom('a', 'b'), fc.boolean());

const ids = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 });

/** Conditions Vectra translates exactly on scalar values. */
const scalarCondition = (k: fc.Arbitrary<string>): fc.Arbitrary<Json> =>
  fc.oneof(
    fc.record({ key: k, match: fc.record({ value: matchValue }) }),
    fc.record({ key: k, match: fc.record({ any: fc.oneof(strings, ints) }) }),
    fc.record({ key: k, match: fc.record({ except: fc.oneof(strings, ints) }) }),
    fc.record({ key: k, range: fc.record({ gt: bound, gte: bound, lt: bound, lte: bound }, { requiredKeys: [] }) }),
    fc.record({ is_empty: fc.record({ key: k }) }),
    fc.record({ is_null: fc.record({ key: k }) }),
    fc.record({ key: k, is_empty: fc.boolean() }),
    fc.record({ key: k, is_null: fc.boolean() }),
    fc.record({ has_id: ids }),
  ) as fc.Arbitrary<Json>;

/** Conditions exact on array values too. */
const arrayCondition: fc.Arbitrary<Json> = fc.oneof(
  fc.record({ key: fc.constant('t'), match: fc.record({ value: matchValue }) }),
  fc.record({ key: fc.constant('t'), match: fc.record({ any: fc.oneof(strings, ints) }) }),
  fc.record({ key: fc.constant('t'), range: fc.oneof(fc.record({ gte: fc.constantFrom(-1, 0, 1) }), fc.record({ lt: fc.constantFrom(-1, 0, 1) })) }),
  fc.record({ is_null: fc.record({ key: fc.constant('t') }) }),
  fc.record({ has_id: ids }),
  scalarCondition(fc.constant('a')),
) as fc.Arbitrary<Json>;

function filters(condition: fc.Arbitrary<Json>): fc.Arbitrary<Record<string, Json>> {
  const { filter } = fc.letrec((tie) => ({
    filter: fc.record(
      {
        must: fc.oneof(fc.array(fc.oneof({ weight: 3, arbitrary: condition }, { weight: 1, arbitrary: tie('filter') }), { maxLength: 3 }), condition),
        should: fc.array(fc.oneof({ weight: 3, arbitrary: condition }, { weight: 1, arbitrary: tie('filter') }), { maxLength: 3 }),
        must_not: fc.array(condition, { maxLength: 2 }),
        min_should: fc.record({ conditions: fc.array(condition, { maxLength: 4 }), min_count: fc.integer({ min: 1, max: 3 }) }),
      },
      { requiredKeys: [] },
    ),
  }));
  return filter as fc.Arbitrary<Record<string, Json>>;
}

describe('Qdrant filters translated to Vectra\'s', () => {
  it('select what Qdrant selects on scalar payloads, for every supported condition', () => {
    fc.assert(
      fc.property(filters(scalarCondition(key)), fc.array(scalarPayload, { minLength: 1, maxLength: 6 }), (f, payloads) => {
        payloads.forEach((p, i) => assert.equal(vectraMatches(f, p, i), qdrantMatches(f, p, i), `${JSON.stringify(f)} on ${i}: ${JSON.stringify(p)}`));
      }),
      { numRuns: 3000 },
    );
  });

  it('select what Qdrant selects on array payloads for value, any, one-sided ranges, is_null and has_id', () => {
    fc.assert(
      fc.property(filters(arrayCondition), fc.array(arrayPayload, { minLength: 1, maxLength: 6 }), (f, payloads) => {
        payloads.forEach((p, i) => assert.equal(vectraMatches(f, p, i), qdrantMatches(f, p, i), `${JSON.stringify(f)} on ${i}: ${JSON.stringify(p)}`));
      }),
      { numRuns: 2000 },
    );
  });

  it('the differences on array values that docs/compat.md states', () => {
    const cases: [string, Json, Record<string, unknown>, boolean, boolean][] = [
      // [what, filter, payload, Qdrant, Vectra]
      ['two-sided range, bounds met by different elements', { must: [{ key: 't', range: { gte: 4, lte: 6 } }] }, { t: [1, 10] }, false, true],
      ['except: some element outside the list', { must: [{ key: 't', match: { except: ['a'] } }] }, { t: ['a', 'b'] }, true, false],
      ['except on an empty array', { must: [{ key: 't', match: { except: ['a'] } }] }, { t: [] }, false, true],
      ['is_empty on []', { must: [{ is_empty: { key: 't' } }] }, { t: [] }, true, false],
      ['is_empty on [null]', { must: [{ is_empty: { key: 't' } }] }, { t: [null] }, false, true],
    ];
    for (const [what, f, payload, qdrant, vectra] of cases) {
      assert.equal(qdrantMatches(f as Record<string, Json>, payload, 0), qdrant, `${what}: Qdrant`);
      assert.equal(vectraMatches(f, payload, 0), vectra, `${what}: Vectra`);
    }
  });

  it('a filter matching everything is no filter; one matching nothing selects no record', () => {
    assert.equal(toVectraFilter(undefined), undefined);
    assert.equal(toVectraFilter(null), undefined);
    assert.equal(toVectraFilter({}), undefined);
    assert.equal(toVectraFilter({ must: [{}], must_not: [] }), undefined);
    assert.deepEqual(toVectraFilter({ should: [] }), { $ids: [] });
    assert.deepEqual(toVectraFilter({ must: [{ key: 'a', match: { any: [] } }] }), { $ids: [] });
    assert.deepEqual(toVectraFilter({ min_should: { min_count: 3, conditions: [{ has_id: [1] }] } }), { $ids: [] });
  });
});
