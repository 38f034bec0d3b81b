/** The dashboard's pure logic: what it sends to the API and how it reads what comes back. */
import { describe, expect, it } from 'vitest';
import { searchBody, type SearchForm } from './search-body';
import { curlCommand, shellQuote } from './curl';
import { rates, snapshot, type TenantStats } from './metrics';
import { toNdjson, sendsAsIs } from './import-file';
import { checkJson } from './json';
import { recordsFromJson } from '../components/AddRecords';
import { errorOf } from './api';

const form: SearchForm = { by: 'text', query: 'coffee', mode: 'dense', fusion: 'rrf', alpha: '0.5', filter: '', k: '10', returns: 'object' };

describe('search body', () => {
  it('sends only what differs from the API defaults', () => {
    expect(searchBody(form).body).toEqual({ text: 'coffee', k: 10 });
    expect(searchBody({ ...form, mode: 'hybrid', fusion: 'weighted', alpha: '0.7', filter: '{"city":"Austin"}', returns: 'id' }).body).toEqual({
      text: 'coffee', k: 10, mode: 'hybrid', fusion: { type: 'weighted', alpha: 0.7 }, filter: { city: 'Austin' }, return: 'id',
    });
    expect(searchBody({ ...form, by: 'vector', query: '[1, 0.5]' }).body).toEqual({ vector: [1, 0.5], k: 10 });
  });
  it('says what to fix instead of sending a bad request', () => {
    expect(searchBody({ ...form, query: ' ' }).error).toBe('type a query');
    expect(searchBody({ ...form, k: '0' }).error).toMatch(/k must be/);
    expect(searchBody({ ...form, filter: '{"city":' }).error).toMatch(/^filter: not valid JSON/);
    expect(searchBody({ ...form, filter: '[1]' }).error).toMatch(/expected a JSON object/);
    expect(searchBody({ ...form, by: 'vector', query: '["a"]' }).error).toMatch(/array of numbers/);
  });
});

describe('copy as curl', () => {
  it('quotes for the shell and leaves the key as a variable', () => {
    const cmd = curlCommand('http://127.0.0.1:8080', 'POST', '/v1/collections/jobs/search', { text: "it's" });
    expect(cmd).toContain('Bearer $VECTRA_API_KEY');
    expect(cmd).toContain(`-d '{"text":"it'\\''s"}'`);
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});

describe('metrics', () => {
  // GET /v1/stats as the server answers it: cumulative counts since `since`.
  const stats = (total: number, sum: number, fast: number, errors = 0, since = '2026-01-01T00:00:00.000Z'): TenantStats => ({
    collections: 2,
    records: 1234,
    diskBytes: 4096,
    indexBytes: 512,
    requests: { total, errors, latency: { sumSeconds: sum, buckets: [{ le: 0.005, count: fast }, { le: 0.05, count: total }, { le: 5, count: total }] } },
    since,
  });

  it('keeps the figures of a poll, with every request in the last (unbounded) bucket', () => {
    const snap = snapshot(stats(12, 0.1, 5, 2), 0);
    expect(snap.requests).toBe(12);
    expect(snap.errors).toBe(2);
    expect(snap.buckets.get(Infinity)).toBe(12);
    expect(snap.stats.records).toBe(1234);
  });
  it('turns two polls into rates, mean latency and a p95 bucket bound', () => {
    const a = snapshot(stats(10, 0.1, 5), 0);
    const b = snapshot(stats(30, 0.3, 6, 4), 2000);
    const r = rates(a, b)!;
    expect(r.requestsPerSecond).toBe(10);
    expect(r.errorsPerSecond).toBe(2);
    expect(r.meanMs).toBeCloseTo(10);
    expect(r.p95Ms).toBe(50);
    expect(rates(b, b)!.meanMs).toBeNull();
    expect(rates(b, b)!.p95Ms).toBeNull();
  });
  it('a p95 beyond the last bound is unknown, not the last bound', () => {
    const slow = (total: number): TenantStats => ({ ...stats(total, total * 9, 0), requests: { total, errors: 0, latency: { sumSeconds: total * 9, buckets: [{ le: 5, count: 0 }] } } });
    expect(rates(snapshot(slow(1), 0), snapshot(slow(3), 2000))!.p95Ms).toBeNull();
  });
  it('a server that restarted between two polls gives no rate (its counters started again)', () => {
    expect(rates(snapshot(stats(500, 1, 400), 0), snapshot(stats(3, 0.01, 3, 0, '2026-01-02T00:00:00.000Z'), 2000))).toBeNull();
  });
});

describe('file import conversion', () => {
  it('maps CSV rows like vectra import: named id/text fields, the rest typed metadata', () => {
    const csv = 'ref,description,city,wage,remote\nb1,"barista, $15",Austin,15,true\nb2,cook,Boston,,false\n';
    const out = toNdjson(csv, 'csv', { idField: 'ref', textField: 'description', vectorField: 'vector' });
    expect(out.rows).toBe(2);
    expect(out.ndjson.split('\n').map((l) => JSON.parse(l))).toEqual([
      { id: 'b1', text: 'barista, $15', metadata: { city: 'Austin', wage: 15, remote: true } },
      { id: 'b2', text: 'cook', metadata: { city: 'Boston', remote: false } },
    ]);
  });
  it('reads JSON arrays and {"records"}, and reports rows it cannot use', () => {
    const fields = { idField: 'id', textField: 'text', vectorField: 'vector' };
    expect(toNdjson('{"records": [{"text": "a"}]}', 'json', fields).ndjson).toBe('{"text":"a"}');
    const bad = toNdjson('{"text":"a"}\nnot json\n[1]\n', 'ndjson', { ...fields, textField: 'body' });
    expect(bad.rows).toBe(3);
    expect(bad.skipped.map((s) => s.row)).toEqual([2, 3]);
    expect(() => toNdjson('{', 'json', fields)).toThrow(/not valid JSON/);
    expect(sendsAsIs('ndjson', fields)).toBe(true);
    expect(sendsAsIs('csv', fields)).toBe(false);
  });
});

describe('record JSON', () => {
  it('accepts records, arrays and {"records"}; names the first bad one', () => {
    expect(recordsFromJson('{"text": "a"}').records).toHaveLength(1);
    expect(recordsFromJson('[{"text": "a"}, {"vector": [1, 2]}]').records).toHaveLength(2);
    expect(recordsFromJson('{"records": [{"text": "a"}]}').records).toHaveLength(1);
    expect(recordsFromJson('[{"text": "a"}, {"city": "x"}]').error).toMatch(/^record 1: "city" is not a record field/);
    expect(recordsFromJson('[]').error).toMatch(/empty/);
    expect(checkJson('{"metadata": []}', 'record').error).toMatch(/"metadata" must be a JSON object/);
    expect(checkJson('{"metadata": {}}', 'record').error).toMatch(/needs "text"/);
  });
});

describe('API errors', () => {
  it("carry the envelope's code and message, or say what came back", () => {
    const e = errorOf(409, { error: { code: 'COLLECTION_EXISTS', message: 'collection "a" already exists' } });
    expect([e.status, e.code, e.message]).toEqual([409, 'COLLECTION_EXISTS', 'collection "a" already exists']);
    expect(errorOf(502, '<html>', 'Bad Gateway').message).toBe('the server answered 502 Bad Gateway');
  });
});
