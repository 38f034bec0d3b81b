/**
 * Qdrant's payload filters translated to Vectra's filter language (docs/api.md#filters, the
 * engine's src/engine/filter.ts): `must` → $and, `should` → $or, `must_not` → $not of $or,
 * `min_should` → $or of the $and of each choice of `min_count` conditions, `has_id` → $ids.
 * Semantics follow Qdrant's condition checker (lib/segment/src/payload_storage); where
 * Vectra's grammar cannot say exactly the same on array values, docs/compat.md says so.
 * Anything else is INVALID_FILTER naming the Qdrant field, never a filter quietly dropped.
 */
import { VectraError } from '../../errors.js';
import { toVectraIds } from './ids.js';

type VFilter = Record<string, unknown>;
/** A translated condition: a Vectra filter, or a constant (Vectra has no literal true/false). */
type Node = VFilter | boolean;

/** The largest number of combinations a `min_should` may expand to. */
const MAX_MIN_SHOULD_COMBINATIONS = 64;

const UNSUPPORTED_MATCH: Record<string, string> = {
  text: 'full-text match',
  text_any: 'full-text match',
  phrase: 'full-text phrase match',
  prefix: 'prefix match',
};

const UNSUPPORTED_FIELD: Record<string, string> = {
  geo_bounding_box: 'geo conditions',
  geo_radius: 'geo conditions',
  geo_polygon: 'geo conditions',
  values_count: 'values_count',
};

function fail(at: string, message: string): never {
  throw new VectraError('INVALID_FILTER', `${at}: ${message}`);
}

function unsupported(at: string, what: string): never {
  fail(at, `${what} is not supported by Vectra's Qdrant-compatible API (docs/compat.md lists what is)`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const present = (v: unknown) => v !== undefined && v !== null;

function and(nodes: Node[]): Node {
  if (nodes.some((n) => n === false)) return false;
  const rest = nodes.filter((n): n is VFilter => n !== true);
  return rest.length === 0 ? true : rest.length === 1 ? rest[0] : { $and: rest };
}

function or(nodes: Node[]): Node {
  if (nodes.some((n) => n === true)) return true;
  const rest = nodes.filter((n): n is VFilter => n !== false);
  return rest.length === 0 ? false : rest.length === 1 ? rest[0] : { $or: rest };
}

function not(node: Node): Node {
  return typeof node === 'boolean' ? !node : { $not: node };
}

/** A payload key: dotted names into nested objects. Qdrant's array paths (`a[]`, `a[0]`) and quoted keys are not Vectra paths. */
function keyPath(key: unknown, at: string): string {
  if (typeof key !== 'string' || key.length === 0) fail(at, 'key must be a non-empty string');
  if (/[[\]"]/.test(key)) unsupported(at, `the key ${JSON.stringify(key)}: array paths ("a[]", "a[0]") and quoted keys`);
  if (key.split('.').some((p) => p.length === 0 || p.startsWith('$'))) fail(at, `${JSON.stringify(key)} is not a valid key (dotted names like "address.city")`);
  return key;
}

/** Qdrant's `must` etc.: one condition or a list; null means absent. */
function conditionList(v: unknown, at: string): unknown[] | undefined {
  if (!present(v)) return undefined;
  return Array.isArray(v) ? v : [v];
}

function translateFilter(f: unknown, at: string): Node {
  if (!isObject(f)) fail(at, 'expected a filter object');
  for (const k of Object.keys(f)) {
    if (!['must', 'should', 'must_not', 'min_should'].includes(k)) fail(`${at}.${k}`, 'unknown field of a filter (must, should, must_not, min_should)');
  }
  const parts: Node[] = [];
  const must = conditionList(f.must, `${at}.must`);
  if (must) parts.push(and(must.map((c, i) => translateCondition(c, `${at}.must[${i}]`))));
  // As Qdrant's checker: an empty `should` list matches nothing.
  const should = conditionList(f.should, `${at}.should`);
  if (should) parts.push(or(should.map((c, i) => translateCondition(c, `${at}.should[${i}]`))));
  const mustNot = conditionList(f.must_not, `${at}.must_not`);
  if (mustNot) parts.push(not(or(mustNot.map((c, i) => translateCondition(c, `${at}.must_not[${i}]`)))));
  if (present(f.min_should)) parts.push(minShould(f.min_should, `${at}.min_should`));
  return and(parts);
}

function minShould(v: unknown, at: string): Node {
  if (!isObject(v) || !Array.isArray(v.conditions)) fail(at, 'expected {"conditions": [...], "min_count": n}');
  const count = v.min_count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) fail(`${at}.min_count`, 'must be an integer ≥ 1');
  const nodes = v.conditions.map((c, i) => translateCondition(c, `${at}.conditions[${i}]`));
  if (count > nodes.length) return false;
  let combinations = 1;
  for (let i = 0; i < count; i++) combinations = (combinations * (nodes.length - i)) / (i + 1);
  if (combinations > MAX_MIN_SHOULD_COMBINATIONS) fail(at, `${count} of ${nodes.length} conditions makes ${Math.round(combinations)} combinations; Vectra's Qdrant-compatible API expands min_should into at most ${MAX_MIN_SHOULD_COMBINATIONS}`);
  const choices: Node[] = [];
  const pick = (from: number, chosen: Node[]) => {
    if (chosen.length === count) return void choices.push(and(chosen));
    for (let i = from; i < nodes.length; i++) pick(i + 1, [...chosen, nodes[i]]);
  };
  pick(0, []);
  return or(choices);
}

function translateCondition(c: unknown, at: string): Node {
  if (!isObject(c)) fail(at, 'expected a condition object');
  if ('key' in c) return fieldCondition(c, at);
  if ('is_empty' in c) return isEmpty(keyPath(payloadField(c.is_empty, `${at}.is_empty`), `${at}.is_empty.key`));
  if ('is_null' in c) return { [keyPath(payloadField(c.is_null, `${at}.is_null`), `${at}.is_null.key`)]: null };
  if ('has_id' in c) {
    if (Object.keys(c).length > 1) fail(at, 'has_id takes no other field');
    return { $ids: toVectraIds(c.has_id, `${at}.has_id`) };
  }
  // Every point has the collection's one (unnamed) vector.
  if ('has_vector' in c) {
    if (c.has_vector === '') return true;
    unsupported(`${at}.has_vector`, `the vector name ${JSON.stringify(c.has_vector)} (collections here have one unnamed vector, "")`);
  }
  if ('nested' in c) unsupported(`${at}.nested`, 'nested (array of objects) conditions');
  if ('slice' in c) unsupported(`${at}.slice`, 'slice conditions');
  if (['must', 'should', 'must_not', 'min_should'].some((k) => k in c)) return translateFilter(c, at);
  const first = Object.keys(c)[0];
  // `{}` reads as an empty filter in Qdrant (every field of a filter is optional): it matches every point.
  if (first === undefined) return true;
  fail(at, `unknown condition ${JSON.stringify(first)}`);
}

function payloadField(v: unknown, at: string): unknown {
  if (!isObject(v)) fail(at, 'expected {"key": "<payload key>"}');
  return v.key;
}

/** Qdrant's is_empty: the key is missing or null (see docs/compat.md for arrays). */
function isEmpty(key: string): Node {
  return { $or: [{ [key]: { $exists: false } }, { [key]: null }] };
}

function fieldCondition(c: Record<string, unknown>, at: string): Node {
  const key = keyPath(c.key, `${at}.key`);
  const given = Object.keys(c).filter((k) => k !== 'key' && present(c[k]));
  for (const k of given) if (UNSUPPORTED_FIELD[k]) unsupported(`${at}.${k}`, UNSUPPORTED_FIELD[k]);
  const known = ['match', 'range', 'is_empty', 'is_null'];
  for (const k of given) if (!known.includes(k)) fail(`${at}.${k}`, 'unknown field of a field condition');
  if (given.length === 0) fail(at, 'a field condition needs one of match, range, is_empty, is_null');
  if (given.length > 1) fail(at, `give one of match, range, is_empty, is_null per condition (got ${given.join(', ')}); combine conditions with must or should`);
  const [what] = given;
  const v = c[what];
  switch (what) {
    case 'match':
      return match(key, v, `${at}.match`);
    case 'range':
      return range(key, v, `${at}.range`);
    case 'is_empty':
      if (typeof v !== 'boolean') fail(`${at}.is_empty`, 'must be true or false');
      return v ? isEmpty(key) : not(isEmpty(key));
    default:
      if (typeof v !== 'boolean') fail(`${at}.is_null`, 'must be true or false');
      return v ? { [key]: null } : not({ [key]: null });
  }
}

function matchValue(v: unknown, at: string): string | number | boolean {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  fail(at, 'must be a string, an integer or a boolean');
}

/** match.any / match.except: all strings or all integers. */
function valueList(v: unknown, at: string): (string | number)[] {
  if (!Array.isArray(v)) fail(at, 'must be an array of strings or of integers');
  const strings = v.every((x) => typeof x === 'string');
  const integers = v.every((x) => typeof x === 'number' && Number.isSafeInteger(x));
  if (!strings && !integers) fail(at, 'must be an array of strings or of integers (not mixed)');
  return v as (string | number)[];
}

function match(key: string, m: unknown, at: string): Node {
  if (!isObject(m)) fail(at, 'expected {"value": …}, {"any": [...]} or {"except": [...]}');
  const kinds = Object.keys(m);
  for (const k of kinds) if (UNSUPPORTED_MATCH[k]) unsupported(`${at}.${k}`, `${UNSUPPORTED_MATCH[k]} (Vectra matches whole values; its own API has keyword search)`);
  if (kinds.length !== 1) fail(at, 'expected exactly one of value, any, except');
  const [kind] = kinds;
  if (kind === 'value') return { [key]: { $eq: matchValue(m.value, `${at}.value`) } };
  if (kind === 'any') {
    const list = valueList(m.any, `${at}.any`);
    return list.length === 0 ? false : { [key]: { $in: list } };
  }
  if (kind === 'except') {
    // Qdrant: a value (not null) that is none of these; a missing key does not match.
    const list = valueList(m.except, `${at}.except`);
    return { $and: [{ [key]: { $exists: true } }, { [key]: { $ne: null } }, ...(list.length > 0 ? [{ [key]: { $nin: list } }] : [])] };
  }
  fail(`${at}.${kind}`, 'unknown match (value, any, except)');
}

const DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

function range(key: string, r: unknown, at: string): Node {
  if (!isObject(r)) fail(at, 'expected {"gt"?, "gte"?, "lt"?, "lte"?}');
  const ops: VFilter = {};
  let kind: 'number' | 'string' | null = null;
  for (const [k, v] of Object.entries(r)) {
    if (!['gt', 'gte', 'lt', 'lte'].includes(k)) fail(`${at}.${k}`, 'unknown bound (gt, gte, lt, lte)');
    if (v === null || v === undefined) continue;
    const vk = typeof v === 'number' && Number.isFinite(v) ? 'number' : typeof v === 'string' ? 'string' : null;
    if (vk === null) fail(`${at}.${k}`, 'must be a number or an RFC 3339 datetime string');
    if (vk === 'string' && !DATETIME.test(v as string)) fail(`${at}.${k}`, `${JSON.stringify(v)} is not an RFC 3339 datetime (e.g. "2024-01-31T12:00:00Z")`);
    if (kind !== null && kind !== vk) fail(at, 'bounds must be all numbers or all datetimes');
    kind = vk;
    ops[`$${k}`] = v;
  }
  // No bound: Qdrant's range then matches any number.
  if (kind === null) return { [key]: { $gte: -Number.MAX_VALUE } };
  return { [key]: ops };
}

/**
 * A Qdrant filter (absent or null: none) → a Vectra filter, or undefined for "every point".
 * `at` names the field in errors (e.g. "filter").
 */
export function toVectraFilter(filter: unknown, at = 'filter'): VFilter | undefined {
  if (!present(filter)) return undefined;
  const node = translateFilter(filter, at);
  if (node === true) return undefined;
  // Nothing matches: no record has an id among none.
  if (node === false) return { $ids: [] };
  return node;
}

/** Both filters (either may be absent). */
export function andFilters(a: VFilter | undefined, b: VFilter | undefined): VFilter | undefined {
  if (!a) return b;
  if (!b) return a;
  return { $and: [a, b] };
}
