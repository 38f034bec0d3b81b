/** The dashboard's pure logic: what it sends to the API and how it reads what comes back. */
import { describe, expect, it } from 'vitest';
import { SEARCH_FORM, optionsOn, searchBody, type SearchForm } from './search-body';
import { markedRuns } from './marks';
import { sidesOf } from '../components/SearchResults';
import { curlCommand, shellQuote } from './curl';
import { rates, snapshot, type TenantStats } from './metrics';
import { fileText, toNdjson, sendsAsIs } from './import-file';
import { checkJson } from './json';
import { recordsFromJson } from '../components/AddRecords';
import { errorOf } from './api';

const form: SearchForm = { ...SEARCH_FORM, query: 'coffee' };

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
  it("sends the options area's parse, highlight, rerank, group, ef and exact as the API names them", () => {
    expect(searchBody({ ...form, parse: true, highlight: true, ef: '64', exact: true }).body).toEqual({ text: 'coffee', k: 10, parse: true, highlight: true, ef: 64, exact: true });
    expect(searchBody({ ...form, rerank: 'mmr', lambda: '0.3' }).body).toEqual({ text: 'coffee', k: 10, rerank: { type: 'mmr', lambda: 0.3 } });
    expect(searchBody({ ...form, rerank: 'cross-encoder', reranker: 'ms-marco-MiniLM-L-6-v2' }).body).toEqual({ text: 'coffee', k: 10, rerank: { type: 'cross-encoder', model: 'ms-marco-MiniLM-L-6-v2' } });
    expect(searchBody({ ...form, group: true, groupSize: '2' }).body).toEqual({ text: 'coffee', k: 10, group: { by: 'document', size: 2 } });
    // Untouched options send nothing: the API's defaults apply.
    expect(searchBody({ ...form, lambda: '7', groupSize: 'x', reranker: 'r' }).body).toEqual({ text: 'coffee', k: 10 });
  });
  it('refuses option combinations the API would refuse, saying why', () => {
    expect(searchBody({ ...form, by: 'vector', query: '[1]', parse: true }).error).toBe('parse needs the query text: query by text, or turn it off');
    expect(searchBody({ ...form, by: 'vector', query: '[1]', highlight: true, rerank: 'cross-encoder', reranker: 'r' }).error).toBe('highlight and the cross-encoder need the query text: query by text, or turn them off');
    expect(searchBody({ ...form, rerank: 'mmr', group: true }).error).toMatch(/^grouping by document and reranking do not combine/);
    expect(searchBody({ ...form, rerank: 'mmr', lambda: '1.5' }).error).toBe('lambda must be between 0 and 1');
    expect(searchBody({ ...form, rerank: 'mmr', lambda: '' }).error).toBe('lambda must be between 0 and 1');
    expect(searchBody({ ...form, rerank: 'cross-encoder', reranker: '' }).error).toBe('pick a reranker');
    expect(searchBody({ ...form, group: true, groupSize: '21' }).error).toBe('chunks per document must be a whole number from 1 to 20');
    expect(searchBody({ ...form, ef: '2.5' }).error).toBe('ef must be a whole number from 1 to 10,000');
  });
  it('names the options turned on', () => {
    expect(optionsOn(form)).toEqual([]);
    expect(optionsOn({ ...form, parse: true, rerank: 'mmr', ef: '10' })).toEqual(['parse', 'rerank: mmr', 'ef']);
    expect(optionsOn({ ...form, rerank: 'feedback', temperature: '0.1', explain: true })).toEqual(['rerank: feedback', 'temperature', 'explain']);
    // A temperature of 0 is the ranking itself: not an option turned on.
    expect(optionsOn({ ...form, temperature: '0' })).toEqual([]);
  });
  it('sends explain, temperature with its seed, and feedback reranking as the API names them', () => {
    expect(searchBody({ ...form, explain: true }).body).toEqual({ text: 'coffee', k: 10, explain: true });
    expect(searchBody({ ...form, temperature: '0.1' }).body).toEqual({ text: 'coffee', k: 10, temperature: 0.1 });
    expect(searchBody({ ...form, temperature: '0.1', seed: '4294967295' }).body).toEqual({ text: 'coffee', k: 10, temperature: 0.1, seed: 4294967295 });
    // At 0 nothing is sampled: neither the temperature nor a seed typed earlier is sent.
    expect(searchBody({ ...form, temperature: '0', seed: '7' }).body).toEqual({ text: 'coffee', k: 10 });
    expect(searchBody({ ...form, rerank: 'feedback' }).body).toEqual({ text: 'coffee', k: 10, rerank: { type: 'feedback' } });
    expect(searchBody({ ...form, rerank: 'feedback', feedbackWeight: '0.8', feedbackSimilarity: '0.6' }).body).toEqual({ text: 'coffee', k: 10, rerank: { type: 'feedback', weight: 0.8, minSimilarity: 0.6 } });
    // Feedback is kept per query vector: a vector query can use it (unlike the cross-encoder).
    expect(searchBody({ ...form, by: 'vector', query: '[1, 0]', rerank: 'feedback', temperature: '2', seed: '0', explain: true }).body).toEqual({
      vector: [1, 0], k: 10, rerank: { type: 'feedback' }, temperature: 2, seed: 0, explain: true,
    });
    // Feedback options left from an earlier choice are not sent with another reranker.
    expect(searchBody({ ...form, rerank: 'mmr', lambda: '0.5', feedbackWeight: '0.9' }).body).toEqual({ text: 'coffee', k: 10, rerank: { type: 'mmr', lambda: 0.5 } });
  });
  it('refuses a temperature, seed or feedback setting the API would refuse, saying why', () => {
    expect(searchBody({ ...form, temperature: '-1' }).error).toBe('temperature must be between 0 and 100');
    expect(searchBody({ ...form, temperature: '101' }).error).toBe('temperature must be between 0 and 100');
    expect(searchBody({ ...form, temperature: 'hot' }).error).toBe('temperature must be between 0 and 100');
    expect(searchBody({ ...form, temperature: '0.1', seed: '1.5' }).error).toBe('seed must be a whole number from 0 to 4,294,967,295');
    expect(searchBody({ ...form, temperature: '0.1', seed: '4294967296' }).error).toBe('seed must be a whole number from 0 to 4,294,967,295');
    expect(searchBody({ ...form, temperature: '0.1', rerank: 'mmr' }).error).toBe('temperature samples by score and MMR picks by variety: use one of them');
    expect(searchBody({ ...form, temperature: '0.1', group: true }).error).toBe('temperature and grouping by document do not combine yet: turn one off');
    expect(searchBody({ ...form, rerank: 'feedback', feedbackWeight: '2' }).error).toBe('feedback weight must be between 0 and 1');
    expect(searchBody({ ...form, rerank: 'feedback', feedbackSimilarity: '-0.1' }).error).toBe('similar from must be between 0 and 1');
    expect(searchBody({ ...form, rerank: 'feedback', group: true }).error).toMatch(/^grouping by document and reranking do not combine/);
  });
});

describe('highlights', () => {
  it('marks only what is between <mark> and </mark>; every other character stays text', () => {
    expect(markedRuns('a <mark>coffee</mark> shop')).toEqual([
      { text: 'a ', marked: false },
      { text: 'coffee', marked: true },
      { text: ' shop', marked: false },
    ]);
    expect(markedRuns('<b>x</b> <mark>y</mark><mark>z</mark>')).toEqual([
      { text: '<b>x</b> ', marked: false },
      { text: 'y', marked: true },
      { text: 'z', marked: true },
    ]);
    // Stray or unclosed tags are text, not marks.
    expect(markedRuns('</mark>a<mark>b')).toEqual([{ text: '</mark>a<mark>b', marked: false }]);
    expect(markedRuns('')).toEqual([]);
  });
});

describe('score columns', () => {
  it('lists the sides the hits were scored or ranked on, known ones first', () => {
    expect(sidesOf([{ id: 'a', score: 1 }])).toEqual([]);
    expect(sidesOf([{ id: 'a', score: 1, scores: { keyword: 2, rerank: 3 }, ranks: { keyword: 1 } }, { id: 'b', score: 1, scores: { dense: 0.5 }, ranks: { dense: 1, mmr: 2 } }])).toEqual(['dense', 'keyword', 'rerank', 'mmr']);
  });
});

describe('copy as curl', () => {
  it('quotes for the shell and leaves the key as a variable', () => {
    const cmd = curlCommand('http://127.0.0.1:8080', 'POST', '/v1/collections/jobs/search', { text: "it's" });
    expect(cmd).toContain('Bearer $VECTRA_API_KEY');
    expect(cmd).toContain(`-d '{"text":"it'\\''s"}'`);
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
  it('carries the body the form builds, explain, temperature, seed and feedback included', () => {
    const built = searchBody({ ...form, explain: true, temperature: '0.1', seed: '42', rerank: 'feedback' });
    const cmd = curlCommand('http://127.0.0.1:8080', 'POST', '/v1/collections/jobs/search', built.body);
    expect(cmd).toContain(`-d '{"text":"coffee","k":10,"rerank":{"type":"feedback"},"temperature":0.1,"seed":42,"explain":true}'`);
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
  it('keeps columns named "__proto__" or "constructor" as metadata (assigning them would set the prototype)', () => {
    const fields = { idField: 'id', textField: 'body', vectorField: 'vector' };
    const csv = toNdjson('id,body,__proto__,constructor,metadata\nr1,hi,1,2,"{""__proto__"": {""a"": 1}, ""b"": 3}"\n', 'csv', fields);
    expect(csv.ndjson).toBe('{"id":"r1","text":"hi","metadata":{"__proto__":{"a":1},"constructor":2,"b":3}}');
    const json = toNdjson('[{"id": "r2", "body": "hi", "__proto__": {"a": 1}}]', 'json', fields);
    expect(json.ndjson).toBe('{"id":"r2","text":"hi","metadata":{"__proto__":{"a":1}}}');
  });
  it('refuses a file that is not UTF-8, naming the line, instead of importing U+FFFD', () => {
    const utf8 = new TextEncoder().encode('id,city\nc1,Zürich\n');
    expect(fileText(utf8, 'ok.csv')).toBe('id,city\nc1,Zürich\n');
    const latin1 = Uint8Array.from('id,city\nc1,Austin\nc2,Zürich\n', (c) => c.charCodeAt(0));
    expect(() => fileText(latin1, 'cities.csv')).toThrow('"cities.csv" is not valid UTF-8 at line 3 (byte 0xfc at offset 22); save it as UTF-8 and import it again');
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
