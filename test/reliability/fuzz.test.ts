/**
 * Fuzzing: property-based requests (fast-check) against every route of the real server, run
 * as its own process so that a crash shows as an exit and its memory can be read from /proc.
 * Requests are shaped like each route's schema and then broken: wrong types, NaN/Infinity/
 * huge/negative numbers, odd unicode and lone surrogates, invalid UTF-8, raw bytes, deep
 * nesting, filter bombs, wrong content types, odd methods and path tricks, and a few 10 MB
 * bodies; document uploads as multipart forms (every file kind, broken forms, background jobs);
 * Server-Sent Event routes read for a moment, then let go; and a WebSocket phase sending
 * shaped and broken messages over /v1/ws. Checked: no answer is a 5xx (nor a WebSocket error
 * with a 5xx status, nor a close for a server error), every error is in the API's envelope, the
 * server is still up and answers /health at the end, and its RSS stays bounded.
 *
 * `npm test` sends a few thousand requests; `npm run test:reliability` sends 100,000
 * (VECTRA_RELIABILITY=full). Replay a run with VECTRA_FUZZ_SEED=<the printed seed>.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { docxFile, pdfFile, zipFile } from '../support/document-files.js';
import { localHttp } from '../support/net.js';
import { serveProcess } from '../support/process.js';
import { rssBytes } from '../support/spawn-server.js';
import { client, register } from '../support/server.js';
import { tempDir } from '../support/tmp.js';
import { FULL } from './scale.js';

const TOTAL = FULL ? 100_000 : 2_500;
/** Bodies of 10 MB (the default body limit is 32 MB, so they are read and validated). */
const BIG_BODIES = FULL ? 24 : 4;
const CONCURRENCY = 8;
/** The server's default VECTRA_BODY_LIMIT (32 MiB). */
const BODY_LIMIT = 32 * 1024 * 1024;
const CHUNK = 500;
const SEED = Number(process.env.VECTRA_FUZZ_SEED ?? 808);
/** Messages sent over /v1/ws after the HTTP requests, over this many connections in turn. */
const WS_MESSAGES = FULL ? 5_000 : 300;
const WS_CONNECTIONS = FULL ? 20 : 3;
/** How long a Server-Sent Events answer is read before the fuzzer lets it go (the change stream never ends). */
const SSE_READ_MS = 300;
/** RSS after the run may be at most this over twice the RSS after warm-up. */
const RSS_MARGIN_MB = 150;

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The route it was shaped for ("METHOD /pattern"), for the per-route figures. */
  route: string;
}

// ------------------------------------------------------------------------------------------
// Values

/** A raw JSON token that JSON.stringify cannot produce: spliced into the body text. */
class Raw {
  constructor(readonly text: string) {}
}

/** JSON text of `v`, with Raw tokens spliced in (NaN, Infinity, 1e999, …). */
function toJson(v: unknown): string {
  const raws: string[] = [];
  let text: string | undefined;
  try {
    text = JSON.stringify(v, (_k, x) => {
      if (x instanceof Raw) {
        raws.push(x.text);
        return `\u0000RAW${raws.length - 1}\u0000`;
      }
      return x;
    });
  } catch {
    return '{"longer than a JavaScript string can be": true'; // (a rare compound of big values)
  }
  return (text ?? 'null').replace(/"\\u0000RAW(\d+)\\u0000"/g, (_m, i) => raws[Number(i)]);
}

const oddNumber = fc.oneof(
  fc.constantFrom(new Raw('NaN'), new Raw('Infinity'), new Raw('-Infinity'), new Raw('1e999'), new Raw('-1e999'), new Raw('1e-400'), new Raw('-0'), new Raw('123456789012345678901234567890'), new Raw('0x10'), new Raw('01'), new Raw('.5'), new Raw('1.')),
  fc.constantFrom(0, -1, -0.5, 1e308, -1e308, 2 ** 53 + 1, -(2 ** 31), 2 ** 32, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '\udfff', 'a\ud800b', '\u202e', '\ufeff', 'ѕecret', 'ｓｅｃｒｅｔ', '../..', '..\\..', '%2e%2e', '$where', '__proto__', 'constructor', '🦄'.repeat(50), 'x'.repeat(70_000)),
);

/** Any JSON-ish value, including the odd numbers and strings above. */
const anything: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddNumber,
    oddString,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(oddString, tie('v'), { maxKeys: 5 }),
  ),
})).v;

/** An object of optional fields, each valid for its route (the mutations below break them). */
function shaped(fields: Record<string, fc.Arbitrary<unknown>>, requiredKeys: string[] = []): fc.Arbitrary<unknown> {
  // Each optional field is there a third of the time: routes with many fields still get valid bodies.
  const sparse = Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, requiredKeys.includes(k) ? a : fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a })]));
  return fc.record(sparse).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
}

/** Paths to every value inside a JSON-ish value (objects and arrays), the root first. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (out.length > 200) return out;
  if (Array.isArray(v)) v.slice(0, 20).forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v).slice(0, 20)) paths(x, [...at, k], out);
  return out;
}

type Mutation = { kind: 'set' | 'delete' | 'extra'; pick: number; value: unknown; key: string };

/** One mutation of a valid body: a value somewhere replaced by anything, removed, or an extra field. */
function mutate(body: unknown, m: Mutation): unknown {
  const all = paths(body);
  const path = all[m.pick % all.length];
  if (path.length === 0) return m.kind === 'set' ? m.value : body;
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent = copy;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (m.kind === 'set') parent[last] = m.value;
  else if (m.kind === 'delete') delete parent[last];
  else if (parent[last] !== null && typeof parent[last] === 'object' && !Array.isArray(parent[last])) (parent[last] as Record<string, unknown>)[m.key] = m.value;
  else parent[last] = m.value;
  return copy;
}

const mutation: fc.Arbitrary<Mutation[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Mutation[]>([]) },
  { weight: 5, arbitrary: fc.array(fc.record({ kind: fc.constantFrom('set' as const, 'delete' as const, 'extra' as const), pick: fc.nat(), value: anything, key: oddString }), { minLength: 1, maxLength: 3 }) },
);

/** Percent-encoded; lone surrogates (which encodeURIComponent refuses) become "x". */
const enc = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'));

const vecName = fc.constantFrom('vec', 'txt');
const poolName = fc.constantFrom('f0', 'f1', 'f2', 'f3', 'F0', 'nope');
const trickName = fc.constantFrom('..%2Fvec', '..%2F..%2Fsystem.db', '%2e%2e', '%2E%2E%2Fvec', 'vec%00', 'vec%2F..', 'a%2Fb', '%ff', '%', '%zz', '%c0%ae%c0%ae', '..%5Cvec', 'VEC', '%D1%95ecret', '%EF%BD%96ec', '.', '..', '~', 'vec;x', 'vec%20');
const segment = fc.oneof(
  { weight: 9, arbitrary: vecName },
  { weight: 3, arbitrary: poolName },
  { weight: 3, arbitrary: trickName },
  { weight: 2, arbitrary: oddString.map((s) => enc(s).slice(0, 600)) },
);
const recordId = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('r0', 'r1', 'r2', 'r3', 'doc#0', 'doc') },
  { weight: 2, arbitrary: trickName },
  { weight: 2, arbitrary: oddString.map((s) => enc(s).slice(0, 900)) },
);

const vector4 = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }) },
  { weight: 2, arbitrary: fc.array(oddNumber, { minLength: 0, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5000 }).map((n) => Array(n).fill(0.5)) },
);

const metadata = fc.oneof(
  { weight: 4, arbitrary: fc.record({ city: fc.constantFrom('Austin', 'Paris'), wage: fc.integer({ min: 0, max: 40 }), tags: fc.array(fc.constantFrom('a', 'b'), { maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.dictionary(oddString, anything, { maxKeys: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((d) => nest(d, { x: 1 })) },
  { weight: 1, arbitrary: fc.integer({ min: 900, max: 1500 }).map((n) => ({ many: Array(n).fill(1) })) },
);

function nest(depth: number, leaf: unknown, key = 'a'): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v;
}

/** Metadata filters: ordinary ones, and bombs (deep, wide, huge $in, long paths). */
const leafFilter = fc.oneof(
  fc.record({ city: fc.constantFrom('Austin', 'Paris') }),
  fc.record({ wage: fc.record({ $gte: oddNumber }) }),
  fc.record({ tags: fc.record({ $in: fc.array(anything, { maxLength: 5 }) }) }),
  fc.record({ 'a.b.c': fc.record({ $exists: anything }) }),
  fc.dictionary(fc.constantFrom('$eq', '$ne', '$gt', '$lt', '$regex', '$where', '$nin', '$not', '$bogus'), anything, { minKeys: 1, maxKeys: 2 }).map((ops) => ({ wage: ops })),
);
/** Leaves for the wide bombs: small, so that 5,000 of them stay a few hundred KB. */
const smallLeaf = fc.constantFrom<unknown>({ city: 'Austin' }, { wage: { $gte: 13 } }, { tags: { $in: ['a', 'b'] } }, { 'a.b': { $exists: true } }, { wage: { $bogus: 1 } });
const filter = fc.oneof(
  { weight: 5, arbitrary: leafFilter },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('$and', '$or', '$not'), fc.integer({ min: 1, max: 80 }), leafFilter).map(([op, d, leaf]) => deepFilter(op, d, leaf)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('$and', '$or'), fc.integer({ min: 2, max: 5000 }), smallLeaf).map(([op, n, leaf]) => ({ [op]: Array(n).fill(leaf) })) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 200_000 }).map((n) => ({ city: { $in: Array.from({ length: n }, (_, i) => `c${i}`) } })) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 5000 }).map((n) => ({ [Array(n).fill('a').join('.')]: 1 })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 2, max: 6 })).map(([w, d]) => wideDeep(w, d)) },
  { weight: 1, arbitrary: anything },
);

function deepFilter(op: string, depth: number, leaf: unknown): unknown {
  let f = leaf;
  for (let i = 0; i < depth; i++) f = op === '$not' ? { $not: f } : { [op]: [f, { city: 'Paris' }] };
  return f;
}

/** w-ary tree of $and/$or of depth d: w^d leaves. */
function wideDeep(w: number, d: number): unknown {
  if (d === 0) return { city: 'Austin' };
  return { [d % 2 ? '$or' : '$and']: Array.from({ length: w }, () => wideDeep(w, d - 1)) };
}

// ------------------------------------------------------------------------------------------
// Routes: method, path and a body shaped like the route's schema

interface Shape {
  method: string;
  /** The route's pattern, as Fastify lists it. */
  route: string;
  path: fc.Arbitrary<string>;
  body?: fc.Arbitrary<unknown>;
  /** The body is NDJSON lines, not one JSON document. */
  ndjson?: boolean;
  /** The body is a multipart/form-data form: `{fields, file: {kind, filename, type}}` (see toMultipart). */
  multipart?: boolean;
  weight: number;
}

const records = fc.array(shaped({ id: recordId.map(decodeSafe), text: fc.oneof(fc.lorem({ maxCount: 12 }), oddString), vector: vector4, metadata }), { minLength: 1, maxLength: 4 });

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const query = (pairs: fc.Arbitrary<[string, string][]>) =>
  pairs.map((ps) => (ps.length === 0 ? '' : `?${ps.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`));

const listQuery = query(
  fc.array(
    fc.oneof(
      fc.tuple(fc.constant('limit'), fc.oneof(fc.constantFrom('0', '1', '10', '99999', '-1', '1e3', '', 'NaN'), fc.string())),
      fc.tuple(fc.constant('cursor'), fc.oneof(fc.base64String(), fc.string(), fc.constantFrom('eyJhIjoxfQ', 'eyJhIjoiLi4vIn0', '%%%'))),
      fc.tuple(fc.constant('filter'), fc.oneof(filter.map((f) => toJson(f).slice(0, 70_000)), fc.string())),
      fc.tuple(fc.constant('includeVector'), fc.constantFrom('true', 'false', '1', '')),
      fc.tuple(oddString, oddString),
    ),
    { maxLength: 4 },
  ),
);

const collPath = (suffix: string) => segment.map((n) => `/v1/collections/${n}${suffix}`);
const recPath = (suffix = '') => fc.tuple(segment, recordId).map(([n, id]) => `/v1/collections/${n}/records/${id}${suffix}`);
const jobId = fc.oneof(fc.constantFrom('JOB', 'DOCJOB', 'nope', '00000000-0000-0000-0000-000000000000'), trickName, oddString.map((s) => enc(s)));
const hookId = fc.oneof({ weight: 3, arbitrary: fc.constant('HOOK') }, { weight: 1, arbitrary: fc.constantFrom('nope', 'wh_x') }, { weight: 1, arbitrary: trickName }, { weight: 1, arbitrary: oddString.map((s) => enc(s)) });
/** A conversation id: the real one (CONV, replaced when sent), or not. */
const convId = fc.oneof({ weight: 3, arbitrary: fc.constant('CONV') }, { weight: 1, arbitrary: fc.constantFrom('conv_nope', '') }, { weight: 1, arbitrary: oddString });
/** Webhook URLs: the local receiver (RECEIVER, replaced when sent), and ones to refuse. */
const hookUrl = fc.oneof(
  { weight: 3, arbitrary: fc.constant('RECEIVER') },
  { weight: 2, arbitrary: fc.constantFrom('ftp://example.com/x', 'http://user:pw@example.com/', 'not a url', 'http://', 'https://[::1', 'http://[::ffff:127.0.0.1]:1/x', 'javascript:alert(1)', `http://${'a'.repeat(3000)}.com/`) },
  { weight: 1, arbitrary: oddString },
);
// Mostly events that come now and then: 50 webhooks on every record write made a delivery storm
// (49,000 in a run) that was most of the run's memory, not fuzzing.
const hookEvents = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.constantFrom('collection.deleted', 'collection.*', 'job.*', 'job.completed', 'webhook.test'), { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('record.*', 'record.upserted', '*'), { minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('record.*', 'nope.event', 'record.', '', 'RECORD.*'), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(oddString, { maxLength: 3 }) },
);

/** Files an upload form carries, by kind (made once: a few are large). */
const FILE_KINDS = ['text', 'markdown', 'html', 'pdf', 'pdf-encrypted', 'pdf-corrupt', 'pdf-scanned', 'docx', 'docx-truncated', 'zip', 'png', 'binary', 'utf16', 'empty', 'large', 'large-pdf'] as const;
/**
 * The fuzzed server's VECTRA_UPLOAD_SYNC_BYTES: files over it (the "large" kinds) become background
 * jobs without each being megabytes of chunks to embed (1 MiB of text is ~1,900 chunks: a hundred
 * such uploads were the run's memory, not a leak).
 */
const UPLOAD_SYNC_BYTES = 64 * 1024;
const lazyFiles = new Map<string, Buffer>();
/** Text of any value (String() throws for objects without a prototype). */
const str = (v: unknown): string => (typeof v === 'string' ? v : toJson(v));

function fileBytes(kind: unknown): Buffer {
  const k = str(kind);
  let b = lazyFiles.get(k);
  if (b) return b;
  const text = 'Hourly wage not less than $13 in Austin.\n\n## Paris\n\nThe wage is 12 euros in Paris. ';
  const made: Record<string, () => Buffer> = {
    text: () => Buffer.from(text.repeat(20)),
    markdown: () => Buffer.from(`# Wages\n\n${text.repeat(5)}`),
    html: () => Buffer.from(`<!doctype html><html><body><h1>Wages</h1><p>${text}</p><script>x()</script></body></html>`),
    pdf: () => pdfFile([text, 'Second page about Paris.']),
    'pdf-encrypted': () => pdfFile(['secret'], { encrypt: true }),
    'pdf-corrupt': () => Buffer.from('%PDF-1.4\n1 0 obj garbage\n%%EOF'),
    'pdf-scanned': () => pdfFile(['', '']),
    docx: () => docxFile([['Heading1', 'Wages'], [null, text]]),
    'docx-truncated': () => docxFile([[null, text]]).subarray(0, 200),
    zip: () => zipFile([{ name: 'xl/workbook.xml', data: '<workbook/>' }]),
    png: () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
    binary: () => Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0, 1, 2, 0xff]),
    utf16: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    empty: () => Buffer.alloc(0),
    // Over UPLOAD_SYNC_BYTES: answered 202, stored by a background job.
    large: () => Buffer.from(Array.from({ length: 2_000 }, (_, i) => `Line ${i}: the wage in Austin is ${i % 40} dollars.`).join('\n')),
    'large-pdf': () => pdfFile(Array.from({ length: 60 }, (_, p) => Array.from({ length: 30 }, (_, l) => `Page ${p} line ${l}: the wage in Paris is ${l} euros.`).join('\n'))),
  };
  if (!Object.hasOwn(made, k)) return Buffer.from(k); // a kind a mutation made up
  b = made[k]();
  lazyFiles.set(k, b);
  return b;
}

/** A form `{fields, file: {kind, filename, type}}` (or whatever a mutation made of it) as multipart/form-data. */
function toMultipart(v: unknown): { body: Buffer; type: string } {
  const boundary = '----vectra-fuzz-7d1f';
  const o = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { fields: { value: v } };
  const parts: Buffer[] = [];
  const fields = o.fields !== null && typeof o.fields === 'object' ? Object.entries(o.fields as object) : [['fields', o.fields]];
  for (const [name, value] of fields) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${str(name).replace(/["\r\n]/g, '_')}"\r\n\r\n${str(value)}\r\n`));
  }
  const f = o.file as { kind?: unknown; filename?: unknown; type?: unknown } | undefined;
  if (f !== undefined && f !== null && typeof f === 'object') {
    const filename = str(f.filename ?? '').replace(/["\r\n]/g, '_');
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${str(f.type ?? '').replace(/[\r\n]/g, '')}\r\n\r\n`), fileBytes(f.kind), Buffer.from('\r\n'));
  } else if (f !== undefined) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n${toJson(f)}\r\n`));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

const SHAPES: Shape[] = [
  // Rare: every success is a new tenant, and memory grows with tenants (that is data, not a leak).
  { method: 'POST', route: '/v1/auth/register', path: fc.constant('/v1/auth/register'), body: shaped({ name: oddString }, ['name']), weight: 0.3 },
  { method: 'GET', route: '/v1/keys', path: fc.constant('/v1/keys'), weight: 1 },
  {
    method: 'POST',
    route: '/v1/keys',
    path: fc.constant('/v1/keys'),
    body: shaped({ name: oddString, scopes: fc.uniqueArray(fc.constantFrom('read', 'write', 'admin'), { minLength: 1, maxLength: 3 }), expiresAt: fc.oneof(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), fc.constant(null)) }, ['name', 'scopes']),
    weight: 1,
  },
  { method: 'DELETE', route: '/v1/keys/:id', path: jobId.map((id) => `/v1/keys/${id}`), weight: 1 },
  {
    method: 'POST',
    route: '/v1/collections',
    path: fc.constant('/v1/collections'),
    body: shaped({
      name: fc.oneof(poolName, vecName, oddString),
      model: fc.oneof(fc.constantFrom('none', 'glove-100d-v2', 'Xenova/all-MiniLM-L6-v2', 'openai/text-embedding-3-small'), oddString),
      dimension: fc.integer({ min: 1, max: 8 }),
      metric: fc.constantFrom('cosine', 'dot', 'l2'),
      index: shaped({ type: fc.constantFrom('hnsw', 'flat'), m: fc.integer({ min: 2, max: 64 }), efConstruction: fc.integer({ min: 8, max: 400 }), efSearch: fc.integer({ min: 1, max: 400 }) }),
      storage: fc.constantFrom('f32', 'f16', 'i8'),
    }),
    weight: 3,
  },
  { method: 'GET', route: '/v1/collections', path: fc.constant('/v1/collections'), weight: 2 },
  { method: 'GET', route: '/v1/collections/:name', path: collPath(''), weight: 3 },
  { method: 'DELETE', route: '/v1/collections/:name', path: fc.oneof(poolName, trickName).map((n) => `/v1/collections/${n}`), weight: 2 },
  { method: 'POST', route: '/v1/collections/:name/records', path: collPath('/records'), body: shaped({ records }, ['records']), weight: 10 },
  { method: 'GET', route: '/v1/collections/:name/records', path: fc.tuple(segment, listQuery).map(([n, q]) => `/v1/collections/${n}/records${q}`), weight: 5 },
  { method: 'GET', route: '/v1/collections/:name/records/:id', path: fc.tuple(recPath(), fc.constantFrom('', '?includeVector=true', '?includeVector=yes', '?x=1')).map(([p, q]) => p + q), weight: 4 },
  { method: 'DELETE', route: '/v1/collections/:name/records/:id', path: recPath(), weight: 3 },
  { method: 'POST', route: '/v1/collections/:name/records/delete', path: collPath('/records/delete'), body: shaped({ ids: fc.array(recordId.map(decodeSafe), { maxLength: 5 }), filter }), weight: 4 },
  { method: 'POST', route: '/v1/collections/:name/records/stream', path: collPath('/records/stream'), body: fc.array(fc.oneof(records.map((r) => (Array.isArray(r) ? r[0] : r)), anything, oddString), { maxLength: 8 }), ndjson: true, weight: 3 },
  { method: 'POST', route: '/v1/collections/:name/imports', path: collPath('/imports'), body: fc.array(fc.oneof(records.map((r) => (Array.isArray(r) ? r[0] : r)), anything), { maxLength: 5 }), ndjson: true, weight: 1 },
  {
    method: 'POST',
    route: '/v1/collections/:name/documents',
    path: collPath('/documents'),
    body: shaped(
      {
      id: recordId.map(decodeSafe),
      text: fc.oneof(fc.lorem({ maxCount: 40 }), oddString, fc.constantFrom('# H1\ntext\n## H2\nmore', '<h1>x</h1><p>y</p><script>z</script>')),
      metadata,
      format: fc.constantFrom('text', 'markdown', 'html'),
      chunk: shaped({ size: fc.integer({ min: 100, max: 2000 }), overlap: fc.integer({ min: 0, max: 50 }) }),
      },
      ['text'],
    ),
    weight: 3,
  },
  { method: 'GET', route: '/v1/collections/:name/documents/:id', path: fc.tuple(segment, recordId).map(([n, id]) => `/v1/collections/${n}/documents/${id}`), weight: 2 },
  { method: 'DELETE', route: '/v1/collections/:name/documents/:id', path: fc.tuple(segment, recordId).map(([n, id]) => `/v1/collections/${n}/documents/${id}`), weight: 1 },
  {
    method: 'POST',
    route: '/v1/collections/:name/search',
    path: collPath('/search'),
    body: fc.tuple(
      fc.oneof(
        shaped({ text: fc.oneof(fc.lorem({ maxCount: 8 }), oddString, fc.constantFrom('hourly wage not less than $13', 'after March 2024 before 1999', 'between 3 and 2')) }, ['text']),
        shaped({ vector: vector4 }, ['vector']),
      ),
      shaped({
      k: fc.integer({ min: 1, max: 20 }),
      ef: fc.integer({ min: 1, max: 500 }),
      filter,
      mode: fc.constantFrom('dense', 'keyword', 'hybrid'),
      fusion: fc.oneof(fc.constantFrom('rrf', 'weighted'), shaped({ type: fc.constant('rrf'), k: fc.integer({ min: 0, max: 100 }), weights: shaped({ dense: fc.double({ min: 0, max: 2, noNaN: true }), keyword: fc.double({ min: 0, max: 2, noNaN: true }) }) }, ['type']), shaped({ type: fc.constant('weighted'), alpha: fc.double({ min: 0, max: 1, noNaN: true }) }, ['type'])),
      candidates: fc.integer({ min: 1, max: 200 }),
      rerank: fc.oneof(
        shaped({ type: fc.constant('mmr'), lambda: fc.double({ min: 0, max: 1, noNaN: true }) }, ['type']),
        shaped({ type: fc.constant('cross-encoder'), model: fc.oneof(fc.constantFrom('none'), oddString) }, ['type']),
        shaped({ type: fc.constant('feedback'), weight: fc.double({ min: -0.5, max: 1.5, noNaN: true }), minSimilarity: fc.double({ min: -0.5, max: 1.5, noNaN: true }) }, ['type']),
      ),
      temperature: fc.oneof(fc.constant(0), fc.double({ min: -1, max: 200, noNaN: true })),
      seed: fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer()),
      parse: fc.oneof(fc.boolean(), shaped({ aliases: fc.dictionary(oddString, fc.array(oddString, { maxLength: 3 }), { maxKeys: 3 }) })),
      group: shaped({ by: fc.constant('document'), size: fc.integer({ min: 1, max: 20 }) }, ['by']),
      expand: fc.oneof(
        shaped({ strategy: fc.constant('words'), terms: fc.integer({ min: 0, max: 6 }), minSimilarity: fc.double({ min: -0.5, max: 1.5, noNaN: true }), weight: fc.double({ min: 0, max: 1, noNaN: true }) }, ['strategy']),
        shaped({ strategy: fc.constant('prf'), docs: fc.integer({ min: 0, max: 60 }), weight: fc.double({ min: -0.5, max: 1.5, noNaN: true }) }, ['strategy']),
        shaped({ strategy: fc.constant('multi'), queries: fc.integer({ min: 1, max: 9 }), terms: fc.integer({ min: 1, max: 5 }) }, ['strategy']),
        shaped({ strategy: oddString }),
      ),
      highlight: fc.oneof(fc.boolean(), shaped({ pre: oddString, post: oddString }, ['pre', 'post'])),
      return: fc.constantFrom('object', 'id'),
      includeVector: fc.boolean(),
      exact: fc.boolean(),
      explain: fc.boolean(),
      }),
    ).map(([q, rest]) => ({ ...(q as object), ...(rest as object) })),
    weight: 12,
  },
  {
    method: 'POST',
    route: '/v1/collections/:name/feedback',
    path: collPath('/feedback'),
    body: fc.tuple(
      fc.oneof(shaped({ query: fc.oneof(fc.lorem({ maxCount: 6 }), oddString) }, ['query']), shaped({ vector: vector4 }, ['vector'])),
      shaped(
        { id: recordId, signal: fc.oneof(fc.constantFrom('click', 'dwell', 'bookmark', 'skip'), oddString), value: fc.double({ min: -10, max: 100_000, noNaN: true }), user: oddString },
        ['id', 'signal'],
      ),
    ).map(([q, rest]) => ({ ...(q as object), ...(rest as object) })),
    weight: 3,
  },
  { method: 'GET', route: '/v1/models', path: fc.constant('/v1/models'), weight: 1 },
  { method: 'POST', route: '/v1/embed', path: fc.constant('/v1/embed'), body: shaped({ texts: fc.array(oddString, { maxLength: 5 }), model: fc.oneof(fc.constantFrom('glove-100d-v2', 'none'), oddString) }), weight: 3 },
  {
    method: 'POST',
    route: '/v1/embeddings',
    path: fc.constant('/v1/embeddings'),
    body: shaped({ input: fc.oneof(oddString, fc.array(oddString, { maxLength: 4 })), model: fc.oneof(fc.constantFrom('glove-100d-v2'), oddString), encoding_format: fc.constantFrom('float', 'base64'), dimensions: fc.constantFrom(100, 384, 3), user: oddString }, ['input', 'model']),
    weight: 3,
  },
  // A valid benchmark keeps every core busy for a while: only a handful of queries, rarely.
  { method: 'POST', route: '/v1/models/benchmark', path: fc.constant('/v1/models/benchmark'), body: shaped({ models: fc.array(fc.oneof(fc.constantFrom('glove-100d-v2'), oddString), { minLength: 1, maxLength: 2 }), queries: fc.integer({ min: 1, max: 5 }) }), weight: 0.2 },
  {
    method: 'POST',
    route: '/v1/collections/:name/documents/upload',
    path: fc
      .tuple(fc.oneof({ weight: 2, arbitrary: fc.constant('txt') }, { weight: 1, arbitrary: segment }), fc.constantFrom('', '', '', '', '', '?async=true', '?async=true', '?async=false', '?async=yes', '?x=1'))
      .map(([n, q]) => `/v1/collections/${n}/documents/upload${q}`),
    body: fc.record({
      fields: shaped({
        id: recordId.map(decodeSafe),
        title: fc.oneof({ weight: 3, arbitrary: fc.lorem({ maxCount: 5 }) }, { weight: 1, arbitrary: oddString }),
        metadata: fc.oneof({ weight: 3, arbitrary: metadata.map((m) => toJson(m)) }, { weight: 1, arbitrary: oddString }),
        chunk: fc.oneof({ weight: 3, arbitrary: shaped({ size: fc.integer({ min: 100, max: 2000 }), overlap: fc.integer({ min: 0, max: 50 }) }).map((c) => toJson(c)) }, { weight: 1, arbitrary: oddString }),
      }),
      file: fc.record({ kind: fc.constantFrom(...FILE_KINDS), filename: fc.oneof(fc.constantFrom('a.pdf', 'a.docx', 'a.md', 'a.html', 'a.txt', 'scan.png', 'noext', ''), oddString), type: fc.constantFrom('application/pdf', 'text/plain', 'text/markdown', 'text/html', 'application/octet-stream', '') }),
    }),
    multipart: true,
    weight: 3,
  },
  {
    method: 'GET',
    route: '/v1/collections/:name/changes',
    path: fc.tuple(segment, query(fc.array(fc.oneof(fc.tuple(fc.constant('since'), fc.oneof(fc.constantFrom('0', '1', '5', '-1', '99999999999', '1e3', ''), fc.string())), fc.tuple(fc.constant('limit'), fc.constantFrom('1', '100', '10000', '0', '10001', 'x')), fc.tuple(fc.constant('include'), fc.constantFrom('record', 'vector', '')), fc.tuple(oddString, oddString)), { maxLength: 3 }))).map(([n, q]) => `/v1/collections/${n}/changes${q}`),
    weight: 3,
  },
  {
    method: 'GET',
    route: '/v1/collections/:name/changes/stream',
    path: fc.tuple(segment, fc.constantFrom('', '?since=0', '?since=3&include=record', '?since=-1', '?since=999999999', '?include=x', '?limit=5')).map(([n, q]) => `/v1/collections/${n}/changes/stream${q}`),
    weight: 1,
  },
  { method: 'GET', route: '/v1/events/stats', path: fc.constant('/v1/events/stats'), weight: 0.5 },
  { method: 'GET', route: '/v1/stats', path: fc.constant('/v1/stats'), weight: 0.5 },
  { method: 'GET', route: '/v1/ws', path: fc.constantFrom('/v1/ws', '/v1/ws?x=1'), weight: 0.5 },
  {
    method: 'POST',
    route: '/v1/webhooks',
    path: fc.constant('/v1/webhooks'),
    body: shaped({ url: hookUrl, events: hookEvents, collections: fc.oneof(fc.array(fc.oneof(poolName, vecName), { maxLength: 3 }), fc.constant(null)), description: fc.oneof(oddString, fc.constant(null)) }, ['url', 'events']),
    weight: 1,
  },
  { method: 'GET', route: '/v1/webhooks', path: fc.constant('/v1/webhooks'), weight: 0.5 },
  { method: 'GET', route: '/v1/webhooks/:id', path: hookId.map((id) => `/v1/webhooks/${id}`), weight: 1 },
  {
    method: 'PATCH',
    route: '/v1/webhooks/:id',
    path: hookId.map((id) => `/v1/webhooks/${id}`),
    body: shaped({ url: hookUrl, events: hookEvents, collections: fc.oneof(fc.array(poolName, { maxLength: 3 }), fc.constant(null)), description: fc.oneof(oddString, fc.constant(null)), status: fc.constantFrom('active', 'disabled', 'paused') }),
    weight: 1,
  },
  { method: 'DELETE', route: '/v1/webhooks/:id', path: hookId.map((id) => `/v1/webhooks/${id}`), weight: 0.3 },
  { method: 'GET', route: '/v1/webhooks/:id/deliveries', path: fc.tuple(hookId, fc.constantFrom('', '?limit=1', '?limit=500', '?limit=501', '?limit=-1', '?status=pending', '?status=failed', '?status=x', '?x=1')).map(([id, q]) => `/v1/webhooks/${id}/deliveries${q}`), weight: 1 },
  { method: 'POST', route: '/v1/webhooks/:id/test', path: hookId.map((id) => `/v1/webhooks/${id}/test`), weight: 0.5 },
  { method: 'GET', route: '/v1/llms', path: fc.constant('/v1/llms'), weight: 0.5 },
  {
    method: 'POST',
    route: '/v1/chat',
    path: fc.constant('/v1/chat'),
    body: fc
      .tuple(
        // One of collection and collections (both, or neither, is refused).
        fc.oneof(
          { weight: 4, arbitrary: fc.record({ collection: fc.oneof({ weight: 6, arbitrary: fc.constant('txt') }, { weight: 2, arbitrary: fc.constantFrom('vec', 'nope') }, { weight: 1, arbitrary: oddString }) }) },
          { weight: 2, arbitrary: fc.record({ collections: fc.oneof({ weight: 3, arbitrary: fc.constant(['txt']) }, { weight: 1, arbitrary: fc.array(fc.constantFrom('txt', 'vec', 'big', 'nope'), { minLength: 1, maxLength: 3 }) }) }) },
          { weight: 1, arbitrary: fc.record({ collection: fc.constant('txt'), collections: fc.constant(['txt']) }) },
        ),
        shaped(
          {
            // Earlier turns, then the user's question (the mutations break the shape).
            messages: fc
              .tuple(
                fc.array(fc.record({ role: fc.constantFrom('user', 'assistant', 'system'), content: fc.oneof(fc.lorem({ maxCount: 12 }), oddString) }), { maxLength: 3 }),
                fc.oneof({ weight: 3, arbitrary: fc.constantFrom('What is the hourly wage in Austin?', 'and in Paris?', 'wage') }, { weight: 2, arbitrary: fc.lorem({ maxCount: 12 }) }, { weight: 1, arbitrary: oddString }),
              )
              .map(([history, question]) => [...history, { role: 'user', content: question }]),
            conversationId: convId,
            k: fc.integer({ min: 1, max: 50 }),
            filter: fc.oneof({ weight: 2, arbitrary: leafFilter }, { weight: 1, arbitrary: filter }),
            mode: fc.constantFrom('dense', 'keyword', 'hybrid'),
            llm: fc.oneof({ weight: 4, arbitrary: fc.constant('extractive') }, { weight: 1, arbitrary: fc.constantFrom('gpt-4o', 'none') }, { weight: 1, arbitrary: oddString }),
            stream: fc.boolean(),
            cache: fc.boolean(),
          },
          ['messages'],
        ),
      )
      .map(([target, rest]) => ({ ...(target as object), ...(rest as object) })),
    weight: 4,
  },
  { method: 'GET', route: '/v1/conversations', path: fc.constant('/v1/conversations'), weight: 0.5 },
  { method: 'GET', route: '/v1/conversations/:id', path: convId.map((id) => `/v1/conversations/${enc(id)}`), weight: 1 },
  { method: 'DELETE', route: '/v1/conversations/:id', path: convId.map((id) => `/v1/conversations/${enc(id)}`), weight: 0.3 },
  // Insights: clustering, embedding health, drift (bounded samples: the fuzzer's collections are small).
  {
    method: 'POST',
    route: '/v1/collections/:name/clusters',
    path: collPath('/clusters'),
    body: shaped({ k: fc.oneof(fc.integer({ min: 2, max: 8 }), fc.integer({ min: -3, max: 200 })), filter: leafFilter, sample: fc.oneof(fc.integer({ min: 10, max: 500 }), fc.integer({ min: -5, max: 1_000_000 })), seed: fc.integer() }, []),
    weight: 1,
  },
  { method: 'GET', route: '/v1/collections/:name/health', path: fc.tuple(segment, fc.constantFrom('', '?sample=10', '?sample=200', '?sample=0', '?sample=x', '?sample=99999999')).map(([n, q]) => `/v1/collections/${n}/health${q}`), weight: 1 },
  {
    method: 'POST',
    route: '/v1/collections/:name/drift',
    path: collPath('/drift'),
    body: shaped(
      {
        baseline: fc.record({ fromSeq: fc.integer({ min: -2, max: 500 }), toSeq: fc.integer({ min: -2, max: 5000 }), from: fc.oneof(fc.constant('2020-01-01T00:00:00Z'), oddString), to: fc.oneof(fc.constant('2100-01-01T00:00:00Z'), oddString) }, { requiredKeys: [] }),
        window: fc.record({ fromSeq: fc.integer({ min: -2, max: 5000 }), toSeq: fc.integer({ min: -2, max: 10_000 }) }, { requiredKeys: [] }),
      },
      ['baseline', 'window'],
    ),
    weight: 1,
  },
  // Recorded searches and their replay (the ids are small integers: the recording of vec is turned on at times).
  {
    method: 'PUT',
    route: '/v1/collections/:name/recording',
    path: collPath('/recording'),
    body: shaped({ enabled: fc.boolean(), size: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: -5, max: 20_000 })) }),
    weight: 1,
  },
  { method: 'GET', route: '/v1/collections/:name/recording', path: collPath('/recording'), weight: 0.5 },
  {
    method: 'GET',
    route: '/v1/collections/:name/searches',
    path: fc.tuple(segment, fc.constantFrom('', '?limit=1', '?limit=10000', '?limit=0', '?limit=10001', '?limit=x', '?vectors=true', '?vectors=1', '?x=1')).map(([n, q]) => `/v1/collections/${n}/searches${q}`),
    weight: 1,
  },
  { method: 'DELETE', route: '/v1/collections/:name/searches', path: collPath('/searches'), weight: 0.2 },
  {
    method: 'POST',
    route: '/v1/collections/:name/searches/:id/replay',
    path: fc.tuple(segment, fc.oneof(fc.constantFrom('1', '2', '3', '10', '0', '-1', '01', '1e3', '99999999999999999999'), oddString.map((x) => enc(x)))).map(([n, id]) => `/v1/collections/${n}/searches/${id}/replay`),
    body: shaped({ explain: fc.boolean() }),
    weight: 1,
  },
  // The 2-D map (a worker thread per request: rarer) and index advice (small collections: an exact scan only).
  {
    method: 'GET',
    route: '/v1/collections/:name/projection',
    path: fc
      .tuple(segment, fc.constantFrom('', '?method=pca', '?method=umap&sample=20', '?method=tsne', '?sample=3', '?sample=2', '?sample=99999999', '?clusters=3', '?clusters=auto', '?clusters=0', '?clusters=x', '?seed=7&method=umap&sample=30&clusters=2', '?method='))
      .map(([n, q]) => `/v1/collections/${n}/projection${q}`),
    weight: 0.3,
  },
  {
    method: 'GET',
    route: '/v1/collections/:name/advice',
    path: fc.tuple(segment, fc.constantFrom('', '?sample=100', '?sample=5', '?sample=x', '?queries=10', '?queries=0', '?queries=99999', '?seed=3', '?ef=10')).map(([n, q]) => `/v1/collections/${n}/advice${q}`),
    weight: 0.5,
  },
  { method: 'GET', route: '/v1/jobs', path: fc.constant('/v1/jobs'), weight: 1 },
  { method: 'GET', route: '/v1/jobs/:id', path: jobId.map((id) => `/v1/jobs/${id}`), weight: 1 },
  { method: 'POST', route: '/v1/jobs/:id/cancel', path: jobId.map((id) => `/v1/jobs/${id}/cancel`), weight: 1 },
  { method: 'GET', route: 'ops, docs, dashboard', path: fc.constantFrom('/health', '/ready', '/metrics', '/openapi.json', '/docs', '/docs/json', '/', '/index.html', '/collections', '/assets/x.js', '/favicon.ico'), weight: 2 },
  {
    method: 'GET',
    route: 'no route',
    path: fc.oneof(
      fc.constantFrom('/v1', '/v1/', '/v1/collections/', '//v1//collections', '/v1/collections/vec/records/', '/%2e%2e/%2e%2e/etc/passwd', '/..%2F..%2Fetc%2Fpasswd', '/v1/%00', '/v1/collections/vec/records/r0/extra', '/assets/..%2F..%2Fpackage.json', '/.env', '/%ff'),
      oddString.map((s) => `/${enc(s)}`),
    ),
    weight: 2,
  },
];

const methods = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PURGE');
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/vnd.api+json',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/x-ndjson',
  'application/octet-stream',
  '',
  '*/*',
);

/** Whole-body mutations: raw bytes, invalid UTF-8, truncated JSON, deep nesting, duplicate keys. */
const weirdBody = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from(b), Buffer.from('"}')])),
  fc.constantFrom('', '{', '}', '[', 'null', 'true', '1', '"x"', '[]', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', '{"records":[{"vector":[1,2,3,4]}]', '\ufeff{}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"name":"a","name":"b"}', '{"records":null}').map((s) => Buffer.from(s)),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))),
  fc.integer({ min: 1000, max: 100_000 }).map((n) => Buffer.from(`{"filter":${'{"$not":'.repeat(n)}{}${'}'.repeat(n)}}`)),
  fc.integer({ min: 1000, max: 50_000 }).map((n) => Buffer.from(`{"records":[{"vector":[1,2,3,4],"metadata":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}]}`)),
  fc.integer({ min: 100, max: 20_000 }).map((n) => Buffer.from(`{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`)),
);

const auth = fc.oneof(
  { weight: 20, arbitrary: fc.constant('main') },
  { weight: 2, arbitrary: fc.constant('read') },
  { weight: 1, arbitrary: fc.constant('none') },
  { weight: 1, arbitrary: fc.constant('x-api-key') },
  { weight: 1, arbitrary: fc.oneof(oddString, fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer vk_', `Bearer vk_${'A'.repeat(43)}`, `Bearer vk_${'A'.repeat(4000)}`)).map((s) => `raw:${s}`) },
);

/** The ids the placeholders in paths and bodies stand for (JOB, DOCJOB, HOOK, CONV, RECEIVER). */
interface Known {
  job: string;
  docJob: string;
  hook: string;
  conv: string;
  receiver: string;
}

function requestArb(keys: { main: string; read: string }, known: Known): fc.Arbitrary<Req> {
  const routes = fc.oneof(...SHAPES.map((s) => ({ weight: Math.max(1, Math.round(s.weight * 5)), arbitrary: fc.tuple(fc.constant(s), s.path, s.body ?? fc.constant(undefined)) })));
  return fc
    .tuple(
      routes,
      mutation,
      fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: methods }),
      fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: contentType }),
      fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: weirdBody }),
      auth,
    )
    .map(([[shape, path, valid], mutations, method, ct, weird, who]) => {
      const body = shape.ndjson || valid === undefined ? valid : mutations.reduce(mutate, valid);
      const m = method ?? shape.method;
      const headers: Record<string, string> = {};
      if (who === 'main') headers.authorization = `Bearer ${keys.main}`;
      else if (who === 'read') headers.authorization = `Bearer ${keys.read}`;
      else if (who === 'x-api-key') headers['x-api-key'] = keys.main;
      else if (who.startsWith('raw:')) headers.authorization = who.slice(4).replace(/[^\t\x20-\x7e]/g, '?');
      let payload: Buffer | undefined;
      let type = shape.ndjson ? 'application/x-ndjson' : 'application/json';
      if (weird) payload = weird;
      else if (body !== undefined && shape.multipart) ({ body: payload, type } = toMultipart(body));
      else if (body !== undefined) payload = Buffer.from(shape.ndjson && Array.isArray(body) ? body.map((l) => (typeof l === 'string' ? l : toJson(l))).join('\n') : toJson(body));
      // Past the body limit only the first bytes matter (the server answers 413): keep memory sane.
      if (payload && payload.length > 2 * BODY_LIMIT) payload = payload.subarray(0, 2 * BODY_LIMIT);
      if (payload !== undefined && !shape.multipart && payload.length < 1024 * 1024) payload = Buffer.from(payload.toString('latin1').replace(/"RECEIVER"/g, JSON.stringify(known.receiver)).replace(/"CONV"/g, JSON.stringify(known.conv)), 'latin1');
      if (payload !== undefined) headers['content-type'] = ct ?? type;
      if (m === 'GET' || m === 'HEAD') payload = undefined;
      const p = path.replace('/JOB', `/${known.job}`).replace('/DOCJOB', `/${known.docJob}`).replace('/HOOK', `/${known.hook}`).replace('/CONV', `/${known.conv}`);
      return { method: m, path: p, headers, body: payload, route: `${shape.method} ${shape.route}` };
    });
}

/** 10 MB bodies: huge strings where the schema allows less, and where it allows that much. */
function bigBody(i: number, keys: { main: string }): Req {
  const ten = 'a'.repeat(10 * 1024 * 1024);
  const cases: [string, string, unknown][] = [
    ['POST', '/v1/collections', { name: ten }],
    ['POST', '/v1/collections/vec/search', { text: ten }],
    ['POST', '/v1/collections/txt/records', { records: [{ id: 'big', text: ten }] }],
    ['POST', '/v1/collections/big/records', { records: [{ id: 'big', vector: [1, 2, 3, 4], metadata: { s: ten } }] }],
    ['POST', '/v1/collections/txt/documents', { id: 'big', text: ten }],
    ['POST', '/v1/embed', { texts: [ten] }],
    ['POST', '/v1/collections/vec/records/delete', { filter: { city: { $in: Array(1_000_000).fill('Austin') } } }],
    ['POST', '/v1/auth/register', { name: ten }],
  ];
  const [method, path, body] = cases[i % cases.length];
  return { method, path, headers: { authorization: `Bearer ${keys.main}`, 'content-type': 'application/json' }, body: Buffer.from(toJson(body)), route: `10 MB bodies` };
}

// ------------------------------------------------------------------------------------------

interface Outcome {
  status: number;
  /** The error code (or the status, when there is none). */
  code: string;
  failure: string | null;
}

/** A Server-Sent Events body, read for SSE_READ_MS (or to its end), then let go. */
async function readEvents(res: Response, abort: AbortController): Promise<string> {
  if (!res.body) return ''; // HEAD
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => abort.abort(), SSE_READ_MS);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // let go after SSE_READ_MS
  } finally {
    clearTimeout(timer);
  }
  return text;
}

async function send(base: string, r: Req): Promise<Outcome> {
  let res: Response;
  const abort = new AbortController();
  try {
    res = await fetch(base + r.path, { method: r.method, headers: r.headers, body: r.body as BodyInit | undefined, signal: AbortSignal.any([abort.signal, AbortSignal.timeout(120_000)]) });
  } catch (e) {
    // Over the body limit the server answers 413 at once and closes: the client may still be writing.
    if ((r.body?.length ?? 0) > BODY_LIMIT) return { status: 413, code: 'closed while sending a body over the limit', failure: null };
    return { status: 0, code: 'none', failure: `no answer: ${(e as Error).message} ${(e as { cause?: Error }).cause?.message ?? ''}` };
  }
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    // Chat's stream ends; the change stream never does. An error event after the 200 must still be a coded 4xx one.
    const events = await readEvents(res, abort);
    const bad = /event: error\ndata: (.*)/.exec(events);
    if (bad && /"INTERNAL"/.test(bad[1])) return { status: res.status, code: 'INTERNAL', failure: `an error event in a ${res.status} stream: ${bad[1].slice(0, 300)}` };
    return { status: res.status, code: String(res.status), failure: null };
  }
  const text = await res.text().catch((e: Error) => `<body read failed: ${e.message}>`);
  let body: { error?: { code?: unknown; message?: unknown } } | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: checked below for errors
  }
  const e = body?.error;
  const code = typeof e?.code === 'string' ? e.code : String(res.status);
  if (res.status >= 500) return { status: res.status, code, failure: `${res.status} ${text.slice(0, 300)}` };
  if (res.status >= 400 && r.method !== 'HEAD' && (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || e.message.length === 0)) {
    return { status: res.status, code, failure: `${res.status} not in the error envelope: ${text.slice(0, 300)}` };
  }
  return { status: res.status, code, failure: null };
}

const rssMb = (pid: number) => rssBytes(pid) / 2 ** 20;

// ------------------------------------------------------------------------------------------
// WebSocket: shaped requests (the HTTP routes' bodies), mutated, and broken messages

const searchBody = SHAPES.find((x) => x.route === '/v1/collections/:name/search')!.body!;
const wsBody = fc.oneof(searchBody, shaped({ records }, ['records']), shaped({ ids: fc.array(recordId.map(decodeSafe), { maxLength: 5 }), filter }), shaped({ id: recordId.map(decodeSafe), includeVector: fc.boolean() }), shaped({ since: fc.oneof(fc.integer({ min: -5, max: 100 }), oddNumber) }), anything);
const wsMessage: fc.Arbitrary<string | Buffer> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), anything), fc.oneof(fc.constantFrom('search', 'upsert', 'delete', 'get', 'subscribe', 'unsubscribe', 'ping'), oddString), fc.oneof(vecName, vecName, poolName, oddString), wsBody, mutation)
      .map(([id, action, collection, body, muts]) => toJson(muts.reduce(mutate, { id, action, collection, body }))),
  },
  { weight: 1, arbitrary: fc.oneof(oddString, fc.constant('MAIN')).map((apiKey) => toJson({ type: 'auth', apiKey })) },
  { weight: 1, arbitrary: oddString },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.constantFrom('{', '[]', 'null', '1', '{"id":1}', '{"id":{},"action":"ping"}', '{"id":1,"action":"search"}', '{"id":1,"action":"subscribe","collection":"vec","body":{"since":0}}') },
);

/**
 * Send WS_MESSAGES messages over WS_CONNECTIONS connections in turn (most authenticated by the
 * header, some not), one at a time, each waiting for its answer or the connection's close. A
 * failure: an answer that is not JSON, an error not in the envelope or with a 5xx status, a
 * close for a server error (1011) or with no close frame (1006), or no answer in 10 s.
 */
async function fuzzWebSocket(base: string, key: string, seed: number): Promise<{ failures: string[]; sent: number; answered: number; closes: Map<number, number> }> {
  const messages = fc.sample(wsMessage, { seed, numRuns: WS_MESSAGES });
  const failures: string[] = [];
  const closes = new Map<number, number>();
  let answered = 0;
  let next = 0;
  // A connection the server closes (a bad key, a message too big) hands the rest to the next one.
  for (let c = 0; c < 4 * WS_CONNECTIONS && next < messages.length; c++) {
    const headers: Record<string, string> = c % 4 === 3 ? {} : { authorization: `Bearer ${key}` };
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/ws`, { headers });
    let waiting: (() => void) | null = null;
    let closed = false;
    ws.on('message', (data) => {
      let m: { ok?: unknown; type?: unknown; error?: { code?: unknown; message?: unknown; status?: unknown } };
      try {
        m = JSON.parse(String(data));
      } catch {
        failures.push(`ws: an answer that is not JSON: ${String(data).slice(0, 200)}`);
        return;
      }
      if (m.type === 'change') return;
      if (m.ok === false) {
        const e = m.error;
        if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || e.message.length === 0) failures.push(`ws: an error not in the envelope: ${JSON.stringify(m).slice(0, 300)}`);
        else if (e.code === 'INTERNAL' || (typeof e.status === 'number' && e.status >= 500 && e.code !== 'SHUTTING_DOWN')) failures.push(`ws: ${e.status} ${e.code}: ${e.message}`);
      }
      answered++;
      waiting?.();
    });
    const ended = new Promise<void>((resolve) =>
      ws.on('close', (code) => {
        closed = true;
        closes.set(code, (closes.get(code) ?? 0) + 1);
        if (code === 1011 || code === 1006) failures.push(`ws: closed with ${code} after message ${next - 1}: ${summarizeWs(messages[next - 1])}`);
        waiting?.();
        resolve();
      }),
    );
    ws.on('error', () => undefined); // a close follows
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('close', () => resolve(false));
    });
    // Each connection takes a share of the messages (or ends sooner, when the server closes it).
    const share = next + Math.ceil(messages.length / WS_CONNECTIONS);
    while (opened && !closed && next < Math.min(share, messages.length)) {
      let m = messages[next++];
      if (m === toJson({ type: 'auth', apiKey: 'MAIN' })) m = toJson({ type: 'auth', apiKey: key });
      const answer = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        waiting = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      ws.send(m);
      if (!(await answer)) failures.push(`ws: no answer in 10 s to: ${summarizeWs(m)}`);
      waiting = null;
    }
    if (!closed) ws.close();
    await ended;
  }
  return { failures, sent: next, answered, closes };
}

const summarizeWs = (m: string | Buffer | undefined) => (typeof m === 'string' ? `(${m.length} characters) ${JSON.stringify(m.slice(0, 200))}` : `binary(${m?.length ?? 0} B)`);

function summarize(r: Req): string {
  const body = r.body === undefined ? '' : ` body(${r.body.length} B)=${JSON.stringify(r.body.subarray(0, 160).toString('latin1'))}`;
  const auth = r.headers.authorization ? ' auth' : '';
  return `${r.method} ${r.path.slice(0, 200)} ct=${JSON.stringify(r.headers['content-type'] ?? null)}${auth}${body}`;
}

describe(`fuzzing every route (${TOTAL} requests, seed ${SEED})`, () => {
  it('answers no 5xx, always in the error envelope, stays up, memory bounded', async () => {
    // Webhooks the fuzzer creates deliver here (private addresses allowed for it): answered at once.
    let delivered = 0;
    const receiver = await localHttp((req, res) => {
      req.resume();
      req.on('end', () => {
        delivered++;
        res.writeHead(204).end();
      });
    });
    receiver.server.unref(); // a failed assertion must not leave it holding the test process
    const s = await serveProcess(tempDir(), { VECTRA_RATE_LIMIT: '10000000', VECTRA_WEBHOOK_ALLOW_PRIVATE: 'true', VECTRA_UPLOAD_SYNC_BYTES: String(UPLOAD_SYNC_BYTES) });
    const pid = s.proc.pid!;
    const { key } = await register(s.url, 'fuzz');
    const api = client(s.url, key);
    const read = (await api('POST', '/v1/keys', { name: 'ro', scopes: ['read'] })).body.apiKey as string;
    // The fuzzer drops collections too (any method on any path): each chunk starts with them back.
    const restore = async () => {
      for (const c of [{ name: 'vec', model: 'none', dimension: 4 }, { name: 'txt' }, { name: 'big', model: 'none', dimension: 4 }]) {
        const r = await api('POST', '/v1/collections', c);
        assert.ok(r.status === 201 || r.status === 409, JSON.stringify(r.body));
      }
      await api('POST', '/v1/collections/vec/records', { records: Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, vector: [i, 1, 0, -i].map((x) => x / 50), metadata: { city: i % 2 ? 'Austin' : 'Paris', wage: i } })) });
      await api('POST', '/v1/collections/txt/documents', { id: 'doc', text: 'Hourly wage not less than $13 in Austin. '.repeat(100), metadata: { city: 'Austin' } });
      // Searches of vec are recorded (the fuzzer turns it off and on too): replays find some.
      await api('PUT', '/v1/collections/vec/recording', { enabled: true, size: 50 });
      await api('POST', '/v1/collections/vec/search', { vector: [1, 0, 0, 0], k: 3, filter: { city: 'Austin' } });
    };
    await restore();
    const job = await api('POST', '/v1/collections/vec/imports', undefined, { raw: '{"id":"j1","vector":[1,0,0,0]}\n', headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    assert.ok(fileBytes('large').length > UPLOAD_SYNC_BYTES && fileBytes('large-pdf').length > UPLOAD_SYNC_BYTES, 'the large files are over the threshold');
    const form = new FormData();
    form.append('file', new Blob([fileBytes('markdown')]), 'wages.md');
    const upload = await fetch(`${s.url}/v1/collections/txt/documents/upload?async=true`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    assert.equal(upload.status, 202);
    const docJob = ((await upload.json()) as { job: { id: string } }).job.id;
    const hook = await api('POST', '/v1/webhooks', { url: receiver.url, events: ['collection.*', 'job.*'] });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const chat = await api('POST', '/v1/chat', { collection: 'txt', messages: [{ role: 'user', content: 'What is the hourly wage in Austin?' }] });
    assert.equal(chat.status, 200, JSON.stringify(chat.body));
    const known: Known = { job: job.body.id, docJob, hook: hook.body.id, conv: chat.body.conversationId, receiver: receiver.url };
    // What loads once, loaded before the warm-up reading: every embedding worker (a batch of
    // distinct texts is spread over them all), the PDF and DOCX readers.
    assert.equal((await api('POST', '/v1/embed', { texts: Array.from({ length: 256 }, (_, i) => `warm text number ${i}`) })).status, 200);
    for (const [kind, name] of [['pdf', 'warm.pdf'], ['docx', 'warm.docx']]) {
      const warm = new FormData();
      warm.append('file', new Blob([fileBytes(kind)]), name);
      assert.equal((await fetch(`${s.url}/v1/collections/txt/documents/upload`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: warm })).status, 201);
    }

    const arb = requestArb({ main: key, read }, known);
    const statuses = new Map<number, number>();
    const perRoute = new Map<string, { sent: number; ok: number; ms: number; codes: Map<string, number> }>();
    const failures: string[] = [];
    let sent = 0;
    let warmRss = 0;
    let peakRss = 0;
    const trace: number[] = [];
    const bigAt = new Set(Array.from({ length: BIG_BODIES }, (_, i) => Math.floor(((i + 0.5) * TOTAL) / BIG_BODIES)));
    let big = 0;

    for (let chunk = 0; sent < TOTAL; chunk++) {
      const n = Math.min(CHUNK, TOTAL - sent);
      if (chunk > 0) await restore();
      const reqs = fc.sample(arb, { seed: SEED + chunk, numRuns: n });
      let next = 0;
      const worker = async () => {
        while (next < reqs.length) {
          const i = next++;
          const r = bigAt.has(sent + i) ? bigBody(big++, { main: key }) : reqs[i];
          const t0 = performance.now();
          const out = await send(s.url, r);
          statuses.set(out.status, (statuses.get(out.status) ?? 0) + 1);
          const pr = perRoute.get(r.route) ?? { sent: 0, ok: 0, ms: 0, codes: new Map() };
          perRoute.set(r.route, pr);
          pr.sent++;
          pr.ms += performance.now() - t0;
          if (out.status >= 200 && out.status < 300) pr.ok++;
          else pr.codes.set(out.code, (pr.codes.get(out.code) ?? 0) + 1);
          if (out.failure && failures.length < 50) failures.push(`[seed ${SEED + chunk} #${i}] ${summarize(r)}\n    → ${out.failure}`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      sent += n;
      assert.equal(s.proc.exitCode, null, `the server exited during chunk ${chunk} (seed ${SEED + chunk}):\n${s.output().slice(-3000)}`);
      const rss = rssMb(pid);
      peakRss = Math.max(peakRss, rss);
      trace.push(rss);
      if (chunk === 0) warmRss = rss;
    }
    await restore();
    const ws = await fuzzWebSocket(s.url, key, SEED);
    failures.push(...ws.failures.slice(0, 50 - Math.min(50, failures.length)));
    process.stdout.write(`# fuzz over /v1/ws: ${ws.sent} messages sent, ${ws.answered} answered, ${ws.failures.length} bad; closes ${[...ws.closes].map(([c, n]) => `${c}:${n}`).join(' ')}\n`);
    // Let background work (imports, deferred indexing, GC) settle before the last reading.
    await new Promise((r) => setTimeout(r, 2000));
    const health = await fetch(`${s.url}/health`);
    assert.equal(health.status, 200, 'the server answers /health after the run');
    const endRss = rssMb(pid);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const gauge = (name: string) => /^(\S+) (\S+)$/m.exec(metrics.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2] ?? '?';
    const every = Math.max(1, Math.floor(trace.length / 10));
    process.stdout.write(`# fuzz RSS by ${every * CHUNK} requests (MB): ${trace.filter((_, i) => i % every === 0).map((x) => x.toFixed(0)).join(' ')}; at the end ${gauge('vectra_tenants')} tenants, ${gauge('vectra_collections')} collections, ${gauge('vectra_records')} records\n`);
    const fivexx = [...statuses].filter(([st]) => st >= 500).reduce((t, [, c]) => t + c, 0);
    const byStatus = [...statuses].sort((a, b) => a[0] - b[0]).map(([st, c]) => `${st}:${c}`).join(' ');
    process.stdout.write(
      `# fuzz: ${sent} requests (${BIG_BODIES} of 10 MB), ${fivexx} 5xx, seed ${SEED}, RSS ${warmRss.toFixed(0)} → ${endRss.toFixed(0)} MB (peak ${peakRss.toFixed(0)} MB); statuses ${byStatus}\n`,
    );
    for (const [route, pr] of [...perRoute].sort()) {
      const codes = [...pr.codes].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([c, n]) => `${c} ${n}`).join(', ');
      process.stdout.write(`#   ${route}: ${pr.sent} sent, ${pr.ok} 2xx, ${(pr.ms / 1000).toFixed(1)} s; ${codes}\n`);
    }
    const serverErrors = s.output().split('\n').filter((l) => /"level":(50|60)/.test(l));
    assert.deepEqual(failures, [], `${failures.length} bad answers (replay with VECTRA_FUZZ_SEED=${SEED}):\n${failures.join('\n')}\nthe server logged:\n${serverErrors.slice(0, 5).join('\n')}`);
    assert.ok(endRss < 2 * warmRss + RSS_MARGIN_MB, `RSS grew from ${warmRss.toFixed(0)} MB after warm-up to ${endRss.toFixed(0)} MB`);
    assert.deepEqual(serverErrors.slice(0, 5), [], 'the server logged errors');
    s.proc.kill('SIGTERM');
    assert.deepEqual(await s.exited, { code: 0, signal: null }, 'and it still shuts down cleanly');
    await receiver.close();
    process.stdout.write(`# fuzz: the webhooks it made got ${delivered} deliveries\n`);
  });
});
