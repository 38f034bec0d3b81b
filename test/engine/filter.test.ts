import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { compilePredicate, compileSql, parseFilter } from '../../src/engine/filter.js';
import { RecordStore } from '../../src/engine/record-store.js';
import { HTTP_STATUS } from '../../src/api/error-codes.js';
import { VectraError } from '../../src/errors.js';
import { tempDir } from '../support/tmp.js';

// ------------------------------------------------------------------ a naive evaluator
// Written from the documented semantics, independently of the compiler under test.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function resolve(doc: Json, path: string): Json | undefined {
  let cur: Json | undefined = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !(part in cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function values(v: Json | undefined): Json[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function cmpOk(op: string, have: Json, want: Json): boolean {
  if (op === '$eq') return have === want;
  if (typeof have !== typeof want || (typeof have !== 'number' && typeof have !== 'string')) return false;
  // Code point order (what SQLite's BINARY collation gives on UTF-8).
  const key = (x: Json) => (typeof x === 'number' ? x : [...(x as string)].map((c) => c.codePointAt(0)!));
  let c: number;
  if (typeof have === 'number') c = (have as number) - (want as number);
  else {
    const x = key(have) as number[];
    const y = key(want) as number[];
    c = 0;
    for (let i = 0; i < Math.min(x.length, y.length) && c === 0; i++) c = x[i] - y[i];
    if (c === 0) c = x.length - y.length;
  }
  return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
}

function fieldOk(doc: Json, path: string, cond: Json): boolean {
  if (cond === null || typeof cond !== 'object' || Array.isArray(cond)) return values(resolve(doc, path)).some((v) => v === cond);
  const keys = Object.keys(cond);
  if (!keys[0]?.startsWith('$')) return naive(doc, Object.fromEntries(keys.map((k) => [`${path}.${k}`, cond[k]])));
  return keys.every((op) => {
    const arg = cond[op];
    const vs = values(resolve(doc, path));
    switch (op) {
      case '$eq': case '$gt': case '$gte': case '$lt': case '$lte':
        return vs.some((v) => cmpOk(op, v, arg));
      case '$ne': return !vs.some((v) => v === arg);
      case '$in': return vs.some((v) => (arg as Json[]).includes(v));
      case '$nin': return !vs.some((v) => (arg as Json[]).includes(v));
      case '$exists': return (resolve(doc, path) !== undefined) === arg;
      case '$not': return !fieldOk(doc, path, arg);
      default: throw new Error(`naive: ${op}`);
    }
  });
}

/** `id`: the record's id, which only `$ids` reads. */
function naive(doc: Json, filter: Record<string, Json>, id?: string): boolean {
  return Object.entries(filter).every(([k, v]) => {
    if (k === '$and') return (v as Record<string, Json>[]).every((f) => naive(doc, f, id));
    if (k === '$or') return (v as Record<string, Json>[]).some((f) => naive(doc, f, id));
    if (k === '$not') return !naive(doc, v as Record<string, Json>, id);
    if (k === '$ids') return id !== undefined && (v as string[]).includes(id);
    return fieldOk(doc, k, v);
  });
}

// ------------------------------------------------------------------ generators

const scalar = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -1.5, 100),
  fc.constantFrom('a', 'b', 'B', 'ab', '', 'é', '\u{1F600}', '\uFFFD'),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ x: scalar, y: fc.array(scalar, { maxLength: 2 }) }, { requiredKeys: [] }) },
);
const doc = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'o'), value, { maxKeys: 4 }) as fc.Arbitrary<Record<string, Json>>;
const path = fc.constantFrom('a', 'b', 'c', 'o', 'o.x', 'o.y', 'missing');
const rangeArg = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'ab', 'b', '\uFFFD', '\u{1F600}'));
const condition: fc.Arbitrary<Json> = fc.oneof(
  scalar,
  fc.record({ $eq: scalar }),
  fc.record({ $ne: scalar }),
  fc.record({ $gt: rangeArg }),
  fc.record({ $gte: rangeArg }),
  fc.record({ $lt: rangeArg }),
  fc.record({ $lte: rangeArg, $gt: rangeArg }),
  fc.record({ $in: fc.array(scalar, { maxLength: 3 }) }),
  fc.record({ $nin: fc.array(scalar, { maxLength: 3 }) }),
  fc.record({ $exists: fc.boolean() }),
  fc.record({ $not: fc.record({ $gte: rangeArg }) }),
);
const { filter } = fc.letrec((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.dictionary(path, condition, { minKeys: 1, maxKeys: 2 }),
    fc.record({ $and: fc.array(tie('filter'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ $or: fc.array(tie('filter'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ $not: tie('filter') }),
    fc.record({ $ids: fc.array(fc.constantFrom('r0', 'r1', 'r2', 'r3', 'r10', 'R1', ''), { maxLength: 3 }) }),
  ),
})) as unknown as { filter: fc.Arbitrary<Record<string, Json>> };

// ------------------------------------------------------------------ tests

describe('filter compiler', () => {
  it('JS predicate agrees with the naive evaluator on random filters and documents', () => {
    fc.assert(
      fc.property(filter, fc.array(doc, { minLength: 1, maxLength: 8 }), (f, docs) => {
        const pred = compilePredicate(parseFilter(f));
        docs.forEach((d, i) => assert.equal(pred(d, `r${i}`), naive(d, f, `r${i}`), `filter ${JSON.stringify(f)} on r${i} ${JSON.stringify(d)}`));
      }),
      { numRuns: 2000 },
    );
  });

  it('SQL over the fields table agrees with the naive evaluator', () => {
    const dir = tempDir();
    const store = new RecordStore(`${dir}/records.db`);
    const docs = fc.sample(doc, { numRuns: 300, seed: 7 });
    store.upsert(docs.map((metadata, i) => ({ id: `r${i}`, vector: new Float32Array([1]), text: null, metadata })));
    const labelOf = new Map(docs.map((_, i) => [store.labelOf(`r${i}`)!, i]));
    fc.assert(
      fc.property(filter, (f) => {
        const sql = compileSql(parseFilter(f));
        const got = store.matchingLabels(sql.where, sql.params, 1e9).map((l) => labelOf.get(l)!).sort((a, b) => a - b);
        const want = docs.flatMap((d, i) => (naive(d, f, `r${i}`) ? [i] : []));
        assert.deepEqual(got, want, `filter ${JSON.stringify(f)}`);
      }),
      { numRuns: 500 },
    );
    store.close();
  });

  it('keys named like Object.prototype\'s own are data: JS predicate and SQL agree, by own keys only', () => {
    // JSON.parse makes "__proto__" an own key, as the API's JSON and NDJSON parsers do.
    const docs = [
      '{"__proto__": {"x": 1}, "constructor": {"prototype": 2}}',
      '{"constructor": 1, "toString": "s"}',
      '{"prototype": null, "o": {"__proto__": 5, "hasOwnProperty": true}}',
      '{"a": 1}',
      '{}',
    ].map((d) => JSON.parse(d) as Record<string, unknown>);
    const dir = tempDir();
    const store = new RecordStore(`${dir}/records.db`);
    store.upsert(docs.map((metadata, i) => ({ id: `r${i}`, vector: new Float32Array([1]), text: null, metadata })));
    const labelOf = new Map(docs.map((_, i) => [store.labelOf(`r${i}`)!, i]));
    const cases: [string, number[]][] = [
      ['{"constructor": {"$exists": true}}', [0, 1]],
      ['{"constructor": {"$exists": false}}', [2, 3, 4]],
      ['{"__proto__": {"$exists": true}}', [0]],
      ['{"__proto__.x": 1}', [0]],
      ['{"__proto__": {"x": 1}}', [0]],
      ['{"constructor.prototype": 2}', [0]],
      ['{"constructor": {"$ne": 1}}', [0, 2, 3, 4]],
      ['{"toString": {"$exists": true}}', [1]],
      ['{"valueOf": {"$exists": true}}', []],
      ['{"hasOwnProperty": {"$exists": true}}', []],
      ['{"prototype": null}', [2]],
      ['{"o.__proto__": {"$gte": 5}}', [2]],
      ['{"o.hasOwnProperty": true}', [2]],
      ['{"a.constructor": {"$exists": true}}', []],
      ['{"$or": [{"constructor": 1}, {"__proto__.x": {"$in": [1]}}]}', [0, 1]],
    ];
    for (const [text, want] of cases) {
      const node = parseFilter(JSON.parse(text));
      const pred = compilePredicate(node);
      assert.deepEqual(docs.flatMap((d, i) => (pred(d) ? [i] : [])), want, `JS: ${text}`);
      const sql = compileSql(node);
      assert.deepEqual(store.matchingLabels(sql.where, sql.params, 1e9).map((l) => labelOf.get(l)!).sort((a, b) => a - b), want, `SQL: ${text}`);
    }
    store.close();
  });

  it('an empty filter matches everything', () => {
    assert.equal(parseFilter({}), null);
    assert.equal(compilePredicate(null)({ a: 1 }), true);
  });

  const rejects: [unknown, string][] = [
    [[], 'filter: expected an object, got an array'],
    [{ price: { $gte: [1] } }, 'filter.price.$gte: $gte needs a finite number or a string, got an array'],
    [{ price: { $between: 1 } }, 'filter.price.$between: unknown operator $between'],
    [{ $or: [] }, 'filter.$or: $or needs a non-empty array of filters'],
    [{ $or: [{ a: 1 }, 5] }, 'filter.$or[1]: expected an object, got number'],
    [{ a: { $in: 'x' } }, 'filter.a.$in: $in needs an array of values, got string'],
    [{ a: { $in: [1, { b: 2 }] } }, 'filter.a.$in[1]: expected a string, finite number, boolean or null, got object'],
    [{ a: { $exists: 1 } }, 'filter.a.$exists: $exists needs true or false, got number'],
    [{ a: { $eq: 1, b: 2 } }, 'filter.a: mixes operators and field names'],
    [{ 'a..b': 1 }, 'filter.a..b: "a..b" is not a valid field path'],
    [{ a: [1, 2] }, 'filter.a: an array is not a value to compare'],
    [{ a: {} }, 'filter.a: empty object'],
    [{ $xor: [] }, 'filter.$xor: unknown operator $xor here'],
    [{ $ids: 'r1' }, 'filter.$ids: $ids needs an array of record ids, got string'],
    [{ $ids: ['r1', 2] }, 'filter.$ids[1]: a record id is a string, got number'],
    [{ a: { $ids: ['r1'] } }, 'filter.a.$ids: unknown operator $ids'],
    // Found by the fuzzer: these compiled to SQL "()" and answered 500.
    [{ $and: [{}] }, 'filter.$and[0]: empty filter'],
    [{ $or: [{ a: 1 }, {}] }, 'filter.$or[1]: empty filter'],
    [{ $not: {} }, 'filter.$not: empty filter'],
    // Found by the fuzzer: 9 × 1,000 values were 9,000 SQL parameters and more nesting than SQLite takes.
    [{ $or: Array.from({ length: 9 }, () => ({ a: { $in: Array.from({ length: 1000 }, (_, i) => i) } })) }, 'filter.$or[8].a.$in: filter has more than 8192 $in/$nin/$ids values in all'],
  ];
  for (const [f, msg] of rejects) {
    it(`rejects ${JSON.stringify(f)} pointing at the bad part`, () => {
      assert.throws(() => parseFilter(f), (e: unknown) => e instanceof VectraError && e.code === 'INVALID_FILTER' && HTTP_STATUS[e.code] === 400 && e.message.startsWith(msg));
    });
  }

  it('refuses filter bombs: too deep, too many conditions, huge $in', () => {
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 40; i++) deep = { $not: deep };
    assert.throws(() => parseFilter(deep), /nested deeper than 16 levels/);
    const wide = { $or: Array.from({ length: 600 }, (_, i) => ({ [`f${i}`]: i })) };
    assert.throws(() => parseFilter(wide), /more than 512 conditions/);
    assert.throws(() => parseFilter({ a: { $in: Array.from({ length: 2000 }, (_, i) => i) } }), /more than 1024 values/);
    assert.throws(() => parseFilter({ $ids: Array.from({ length: 2000 }, (_, i) => `r${i}`) }), /\$ids has more than 1024 values/);
  });

  it('sqlite is the real thing (WAL mode)', () => {
    const dir = tempDir();
    const store = new RecordStore(`${dir}/records.db`);
    store.close();
    const db = new Database(`${dir}/records.db`);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });
});
