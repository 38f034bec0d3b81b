/**
 * For the Qdrant-compatibility tests: a deterministic point set (numeric and UUID ids, payloads
 * with nested objects, arrays, nulls and missing keys), and a naive evaluator of Qdrant's
 * filters written from Qdrant's condition checker (lib/segment/src/payload_storage/
 * condition_checker.rs, query_checker.rs), independently of Vectra's translation.
 */
import { createHash } from 'node:crypto';
import { vectorFor } from './vectors.js';

export type Payload = Record<string, unknown>;
export interface Point {
  id: number | string;
  vector: number[];
  payload: Payload;
}

export const CITIES = ['Paris', 'Rome', 'Berlin', 'Madrid', 'Lisbon', 'Vienna', 'Oslo'];
export const TAGS = ['red', 'green', 'blue', 'cyan', 'gold'];

/** A UUID (v4-shaped) from a seed. */
export function uuidFor(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Point i of the set: ids numeric (3·i) for the first half, UUIDs for the rest. */
export function pointAt(i: number, n: number, dim: number): Point {
  const payload: Payload = {
    city: CITIES[i % CITIES.length],
    price: (i * 37) % 1000,
    rating: ((i * 13) % 50) / 10,
    tags: [...new Set([TAGS[i % 5], TAGS[(i * 3) % 5]])],
    info: { level: i % 4, active: i % 3 === 0 },
    day: `2024-01-${String((i % 28) + 1).padStart(2, '0')}T00:00:00Z`,
  };
  if (i % 11 === 0) payload.note = null;
  else if (i % 7 === 0) payload.note = `note ${i}`;
  return { id: i < n / 2 ? 3 * i : uuidFor(`point-${i}`), vector: vectorFor(`p${i}`, dim), payload };
}

export function pointSet(n: number, dim: number): Point[] {
  return Array.from({ length: n }, (_, i) => pointAt(i, n, dim));
}

// ------------------------------------------------------------------ Qdrant's filter semantics

type Cond = Record<string, any>;

function valuesAt(payload: Payload, key: string): unknown[] {
  let cur: unknown = payload;
  for (const k of key.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !(k in cur)) return [];
    cur = (cur as Payload)[k];
  }
  return [cur];
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function matchOne(m: Cond, v: unknown): boolean {
  if ('value' in m) return typeof v === typeof m.value && (typeof v !== 'number' || isInt(v)) && v === m.value;
  if ('any' in m) return (typeof v === 'string' || isInt(v)) && (m.any as unknown[]).includes(v);
  if ('except' in m) {
    const list = m.except as unknown[];
    if (v === null) return false;
    if (typeof v === 'string') return list.every((x) => typeof x === 'string') ? !list.includes(v) : true;
    if (typeof v === 'number') return list.every((x) => typeof x === 'number') ? !isInt(v) || !list.includes(v) : true;
    return true;
  }
  throw new Error(`naive: match ${JSON.stringify(m)}`);
}

function rangeOne(r: Cond, v: unknown): boolean {
  // Datetime bounds compare instants (Qdrant parses both sides); numbers compare numbers.
  const datetime = [r.gt, r.gte, r.lt, r.lte].some((b) => typeof b === 'string');
  const x = datetime ? (typeof v === 'string' ? Date.parse(v) : NaN) : typeof v === 'number' ? v : NaN;
  if (Number.isNaN(x)) return false;
  const b = (bound: unknown) => (bound == null ? null : datetime ? Date.parse(bound as string) : (bound as number));
  const [gt, gte, lt, lte] = [b(r.gt), b(r.gte), b(r.lt), b(r.lte)];
  return (gt === null || x > gt) && (gte === null || x >= gte) && (lt === null || x < lt) && (lte === null || x <= lte);
}

function fieldOk(c: Cond, payload: Payload): boolean {
  const values = valuesAt(payload, c.key);
  if (values.length === 0) return c.is_empty === true || c.is_null === false;
  const check = (v: unknown): boolean => {
    if (c.is_empty !== undefined) return (v === null || (Array.isArray(v) && v.length === 0)) === c.is_empty;
    if (c.is_null !== undefined) return (v === null || (Array.isArray(v) && v.some((x) => x === null))) === c.is_null;
    const one = (x: unknown) => (c.match ? matchOne(c.match, x) : rangeOne(c.range, x));
    return Array.isArray(v) ? v.some(one) : one(v);
  };
  return values.some(check);
}

function conditionOk(c: Cond, payload: Payload, id: number | string): boolean {
  if ('key' in c) return fieldOk(c, payload);
  if ('is_empty' in c) return valuesAt(payload, c.is_empty.key).every((v) => v === null || (Array.isArray(v) && v.length === 0));
  if ('is_null' in c) return valuesAt(payload, c.is_null.key).some((v) => v === null || (Array.isArray(v) && v.includes(null)));
  if ('has_id' in c) return (c.has_id as unknown[]).includes(id);
  return qdrantMatches(c, payload, id);
}

const many = (v: unknown): Cond[] | undefined => (v == null ? undefined : Array.isArray(v) ? v : [v as Cond]);

/** Does a point pass a Qdrant filter, by Qdrant's rules? */
export function qdrantMatches(f: Cond, payload: Payload, id: number | string): boolean {
  const must = many(f.must);
  const should = many(f.should);
  const mustNot = many(f.must_not);
  const ok = (c: Cond) => conditionOk(c, payload, id);
  if (must && !must.every(ok)) return false;
  if (should && !should.some(ok)) return false;
  if (mustNot && mustNot.some(ok)) return false;
  if (f.min_should && (f.min_should.conditions as Cond[]).filter(ok).length < f.min_should.min_count) return false;
  return true;
}
