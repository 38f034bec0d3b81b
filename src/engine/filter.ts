/**
 * Metadata filters (grammar in docs/api.md), parsed once per query into a small AST that
 * compiles both to a JS predicate (post-filtering graph candidates) and to SQL over the
 * `fields` table (finding matching records through SQLite's indexes).
 *
 * Semantics, shared by both compilations:
 * - A path walks nested objects ("a.b.c"); it never steps into arrays. Missing → no value.
 * - A field whose value is an array matches a comparison when any scalar element matches.
 * - `$ne x` / `$nin [..]` / `$not f` are exact complements: they match missing fields.
 * - Range operators compare numbers with numbers and strings with strings (by code point);
 *   values of another type never match.
 * - `{"a": {"b": 1}}` (an object without operators) means `{"a.b": 1}`.
 * - `{"$ids": ["r1", "r2"]}` (beside $and/$or/$not) matches the records with one of these ids:
 *   the one condition on the record rather than its metadata (Qdrant's has_id needs it).
 */
import { VectraError } from '../errors.js';

export type Scalar = string | number | boolean | null;
export type Filter = Record<string, unknown>;

export type FilterNode =
  | { op: 'and' | 'or'; nodes: FilterNode[] }
  | { op: 'not'; node: FilterNode }
  | { op: 'cmp'; path: string[]; cmp: 'eq' | 'gt' | 'gte' | 'lt' | 'lte'; value: Scalar }
  | { op: 'in'; path: string[]; values: Scalar[] }
  | { op: 'exists'; path: string[]; value: boolean }
  | { op: 'ids'; ids: string[] };

export interface FilterLimits {
  maxDepth: number;
  maxNodes: number;
  maxInValues: number;
}

export const DEFAULT_FILTER_LIMITS: FilterLimits = { maxDepth: 16, maxNodes: 512, maxInValues: 1024 };

/** Type tags of the `fields` table, shared with the record store. */
export const FieldType = { null: 0, bool: 1, number: 2, string: 3, object: 4, array: 5 } as const;

/** $in and $nin values across a whole filter (each is an SQL parameter). */
const MAX_TOTAL_IN_VALUES = 8192;

class Parser {
  private nodes = 0;
  private inValues = 0;
  constructor(private readonly limits: FilterLimits) {}

  fail(where: string, message: string): never {
    throw new VectraError('INVALID_FILTER', `${where}: ${message}`, { at: where });
  }

  private count(where: string, depth: number): void {
    if (++this.nodes > this.limits.maxNodes) this.fail(where, `filter has more than ${this.limits.maxNodes} conditions`);
    if (depth > this.limits.maxDepth) this.fail(where, `filter is nested deeper than ${this.limits.maxDepth} levels`);
  }

  /** A filter object: an implicit $and of its entries. */
  object(value: unknown, where: string, depth: number, prefix: string[]): FilterNode {
    if (!isPlainObject(value)) this.fail(where, `expected an object, got ${describe(value)}`);
    const nodes: FilterNode[] = [];
    for (const [key, v] of Object.entries(value)) {
      const at = `${where}.${key}`;
      if (key.startsWith('$')) nodes.push(this.logical(key, v, at, depth, prefix));
      else nodes.push(this.field([...prefix, ...this.path(key, at)], v, at, depth + 1));
    }
    return nodes.length === 1 ? nodes[0] : { op: 'and', nodes };
  }

  /** An operand of $and, $or, $not: a filter object with at least one condition. */
  private condition(value: unknown, where: string, depth: number, prefix: string[]): FilterNode {
    if (isPlainObject(value) && Object.keys(value).length === 0) this.fail(where, 'empty filter; give at least one condition (or leave this one out)');
    return this.object(value, where, depth, prefix);
  }

  private logical(key: string, v: unknown, at: string, depth: number, prefix: string[]): FilterNode {
    this.count(at, depth + 1);
    if (key === '$ids') {
      if (!Array.isArray(v)) this.fail(at, `$ids needs an array of record ids, got ${describe(v)}`);
      this.inList(at, '$ids', v.length);
      v.forEach((id, i) => {
        if (typeof id !== 'string') this.fail(`${at}[${i}]`, `a record id is a string, got ${describe(id)}`);
      });
      return { op: 'ids', ids: v as string[] };
    }
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(v) || v.length === 0) this.fail(at, `${key} needs a non-empty array of filters`);
      return { op: key === '$and' ? 'and' : 'or', nodes: v.map((f, i) => this.condition(f, `${at}[${i}]`, depth + 1, prefix)) };
    }
    if (key === '$not') return { op: 'not', node: this.condition(v, at, depth + 1, prefix) };
    this.fail(at, `unknown operator ${key} here; use $and, $or, $not or $ids, or put ${key} under a field name`);
  }

  private path(key: string, at: string): string[] {
    const parts = key.split('.');
    if (parts.some((p) => p.length === 0 || p.startsWith('$'))) {
      this.fail(at, `"${key}" is not a valid field path (use dotted names like "address.city")`);
    }
    return parts;
  }

  /** The condition on one field: a scalar (equality), operators, or a nested object. */
  private field(path: string[], v: unknown, at: string, depth: number): FilterNode {
    this.count(at, depth);
    if (!isPlainObject(v)) {
      if (Array.isArray(v)) this.fail(at, 'an array is not a value to compare; use {"$in": [...]} to match any of several values');
      return { op: 'cmp', path, cmp: 'eq', value: this.scalar(v, at) };
    }
    const keys = Object.keys(v);
    const ops = keys.filter((k) => k.startsWith('$'));
    if (ops.length === 0) {
      if (keys.length === 0) this.fail(at, 'empty object; give a value or an operator such as {"$eq": ...}');
      return this.object(v, at, depth, path);
    }
    if (ops.length !== keys.length) this.fail(at, 'mixes operators and field names; nest them separately');
    const nodes = ops.map((op) => this.operator(path, op, v[op], `${at}.${op}`, depth + 1));
    return nodes.length === 1 ? nodes[0] : { op: 'and', nodes };
  }

  private operator(path: string[], op: string, v: unknown, at: string, depth: number): FilterNode {
    this.count(at, depth);
    switch (op) {
      case '$eq':
        return { op: 'cmp', path, cmp: 'eq', value: this.scalar(v, at) };
      case '$ne':
        return { op: 'not', node: { op: 'cmp', path, cmp: 'eq', value: this.scalar(v, at) } };
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
          this.fail(at, `${op} needs a finite number or a string, got ${describe(v)}`);
        }
        return { op: 'cmp', path, cmp: op.slice(1) as 'gt', value: v };
      case '$in':
      case '$nin': {
        if (!Array.isArray(v)) this.fail(at, `${op} needs an array of values, got ${describe(v)}`);
        this.inList(at, op, v.length);
        const node: FilterNode = { op: 'in', path, values: v.map((x, i) => this.scalar(x, `${at}[${i}]`)) };
        return op === '$in' ? node : { op: 'not', node };
      }
      case '$exists':
        if (typeof v !== 'boolean') this.fail(at, `$exists needs true or false, got ${describe(v)}`);
        return { op: 'exists', path, value: v };
      case '$not':
        return { op: 'not', node: this.field(path, v, at, depth + 1) };
      default:
        this.fail(at, `unknown operator ${op}; use one of $eq $ne $gt $gte $lt $lte $in $nin $exists $not`);
    }
  }

  /** The limits on value lists ($in, $nin, $ids): per list, and in all. */
  private inList(at: string, op: string, length: number): void {
    if (length > this.limits.maxInValues) this.fail(at, `${op} has more than ${this.limits.maxInValues} values`);
    // Each $in value is an SQL parameter, and SQLite takes at most 32,766 in one statement.
    this.inValues += length;
    if (this.inValues > MAX_TOTAL_IN_VALUES) this.fail(at, `filter has more than ${MAX_TOTAL_IN_VALUES} $in/$nin/$ids values in all`);
  }

  private scalar(v: unknown, at: string): Scalar {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    this.fail(at, `expected a string, finite number, boolean or null, got ${describe(v)}`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

/** Parse and validate a filter. An empty object matches everything (returns null). */
export function parseFilter(filter: unknown, limits: FilterLimits = DEFAULT_FILTER_LIMITS): FilterNode | null {
  const parser: Parser = new Parser(limits);
  if (!isPlainObject(filter)) parser.fail('filter', `expected an object, got ${describe(filter)}`);
  if (Object.keys(filter).length === 0) return null;
  return parser.object(filter, 'filter', 0, []);
}

// ---------------------------------------------------------------------------------------
// JS predicate

/** Whether a record passes, from its metadata and its id (only `$ids` reads the id). */
export type Predicate = (metadata: Record<string, unknown>, id?: string) => boolean;

function lookup(meta: unknown, path: string[]): unknown {
  let cur = meta;
  for (const p of path) {
    if (!isPlainObject(cur) || !Object.prototype.hasOwnProperty.call(cur, p)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Order strings by code point, as SQLite's BINARY collation orders their UTF-8 bytes. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate belongs to a code point above U+FFFF, after every single-unit char.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function scalarMatches(cmp: 'eq' | 'gt' | 'gte' | 'lt' | 'lte', want: Scalar, have: unknown): boolean {
  if (cmp === 'eq') return have === want;
  let c: number;
  if (typeof want === 'number' && typeof have === 'number') c = have - want;
  else if (typeof want === 'string' && typeof have === 'string') c = compareCodePoints(have, want);
  else return false;
  switch (cmp) {
    case 'gt': return c > 0;
    case 'gte': return c >= 0;
    case 'lt': return c < 0;
    default: return c <= 0;
  }
}

function anyValue(v: unknown, test: (x: unknown) => boolean): boolean {
  if (v === undefined) return false;
  if (Array.isArray(v)) return v.some(test);
  return test(v);
}

export function compilePredicate(node: FilterNode | null): Predicate {
  if (node === null) return () => true;
  switch (node.op) {
    case 'and': {
      const parts = node.nodes.map(compilePredicate);
      return (m, id) => parts.every((p) => p(m, id));
    }
    case 'or': {
      const parts = node.nodes.map(compilePredicate);
      return (m, id) => parts.some((p) => p(m, id));
    }
    case 'not': {
      const inner = compilePredicate(node.node);
      return (m, id) => !inner(m, id);
    }
    case 'ids': {
      const set = new Set(node.ids);
      return (_m, id) => id !== undefined && set.has(id);
    }
    case 'exists':
      return (m) => (lookup(m, node.path) !== undefined) === node.value;
    case 'in': {
      const set = new Set<unknown>(node.values);
      return (m) => anyValue(lookup(m, node.path), (x) => set.has(x));
    }
    case 'cmp':
      return (m) => anyValue(lookup(m, node.path), (x) => scalarMatches(node.cmp, node.value, x));
  }
}

// ---------------------------------------------------------------------------------------
// SQL over the `fields` table: one row per (record label, path, type, scalar value).

export interface SqlFilter {
  /** A boolean SQL expression over the records table's `label` column. */
  where: string;
  params: (string | number | null)[];
}

function typed(v: Scalar): [number, string | number | null] {
  if (v === null) return [FieldType.null, null];
  if (typeof v === 'boolean') return [FieldType.bool, v ? 1 : 0];
  if (typeof v === 'number') return [FieldType.number, v];
  return [FieldType.string, v];
}

const SQL_CMP = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

export function compileSql(node: FilterNode | null): SqlFilter {
  const params: (string | number | null)[] = [];
  const sub = (cond: string) => `label IN (SELECT label FROM fields WHERE ${cond})`;
  const walk = (n: FilterNode): string => {
    switch (n.op) {
      case 'and':
      case 'or':
        return `(${n.nodes.map(walk).join(n.op === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `(NOT ${walk(n.node)})`;
      case 'exists':
        params.push(n.path.join('.'));
        return n.value ? sub('path = ?') : `(NOT ${sub('path = ?')})`;
      case 'ids':
        // The records table's own id (its UNIQUE index), the list as one JSON parameter.
        if (n.ids.length === 0) return '(0)';
        params.push(JSON.stringify(n.ids));
        return '(id IN (SELECT value FROM json_each(?)))';
      case 'in': {
        if (n.values.length === 0) return '(0)';
        params.push(n.path.join('.'));
        // One IN list per type: an OR per value would nest as deep as the list is long, and
        // SQLite refuses expression trees deeper than 1000 (a 500-value $in answered 500).
        const byType = new Map<number, (string | number | null)[]>();
        for (const v of n.values) {
          const [t, x] = typed(v);
          byType.set(t, [...(byType.get(t) ?? []), x]);
        }
        const alts = [...byType].map(([t, xs]) => {
          params.push(t);
          if (xs[0] === null) return '(t = ?)';
          params.push(...xs);
          return `(t = ? AND v IN (${xs.map(() => '?').join(', ')}))`;
        });
        return sub(`path = ? AND (${alts.join(' OR ')})`);
      }
      case 'cmp': {
        const [t, x] = typed(n.value);
        params.push(n.path.join('.'), t);
        if (x === null) return sub('path = ? AND t = ?');
        params.push(x);
        return sub(`path = ? AND t = ? AND v ${SQL_CMP[n.cmp]} ?`);
      }
    }
  };
  if (node === null) return { where: '1', params };
  return { where: walk(node), params };
}

// ---------------------------------------------------------------------------------------
// Metadata → field rows

/** Non-scalar rows (null, object, array) carry v = 0: `v` is part of the table's primary key. */
export type FieldRow = [path: string, t: number, v: string | number];

/**
 * The rows the `fields` table holds for one record's metadata: every object and array
 * (for $exists) and every scalar, arrays contributing each scalar element at their path.
 */
export function flattenMetadata(meta: Record<string, unknown>): FieldRow[] {
  const rows: FieldRow[] = [];
  const seen = new Set<string>();
  const push = (path: string, t: number, v: string | number) => {
    const key = `${path}\u0000${t}\u0000${v}`;
    if (seen.has(key)) return;
    seen.add(key);
    rows.push([path, t, v]);
  };
  const scalarRow = (path: string, x: unknown): boolean => {
    if (x === null) push(path, FieldType.null, 0);
    else if (typeof x === 'boolean') push(path, FieldType.bool, x ? 1 : 0);
    else if (typeof x === 'number') push(path, FieldType.number, x);
    else if (typeof x === 'string') push(path, FieldType.string, x);
    else return false;
    return true;
  };
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, x] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (scalarRow(path, x)) continue;
      if (Array.isArray(x)) {
        push(path, FieldType.array, 0);
        for (const el of x) scalarRow(path, el);
      } else if (isPlainObject(x)) {
        push(path, FieldType.object, 0);
        walk(x, path);
      }
    }
  };
  walk(meta, '');
  return rows;
}
