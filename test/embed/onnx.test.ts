/**
 * Transformer models through the real loading path — transformers.js reading tokenizer.json
 * and onnx/model.onnx from VECTRA_MODELS_DIR, onnxruntime-node running the graph in the
 * embedding workers — with an ONNX model this project builds itself (test/support/onnx-model.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxModel } from '../../src/embed/onnx.js';
import { EmbedPool } from '../../src/embed/pool.js';
import { Reranker } from '../../src/embed/rerank.js';
import { buildTestOnnxModel, buildTestReranker, expectedRerankScore, expectedVector, TEST_REPO, TEST_RERANKER_REPO } from '../support/onnx-model.js';
import { client, register, testServer } from '../support/server.js';
import { closedPortUrl, localHttp } from '../support/net.js';
import { tempDir } from '../support/tmp.js';

/** Downloads are off wherever this is used: a hub no request should ever reach. */
const OFFLINE_HUB = 'http://127.0.0.1:9/';

const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.prototype.reduce.call(a, (s: number, x: number, i: number) => s + x * b[i], 0) as number;
const entry = { repo: TEST_REPO, dimension: 100, pooling: 'mean' as const, normalize: true, queryPrefix: 'question ', documentPrefix: '', maxTokens: 64, dtype: 'fp32' as const, description: 'test' };

describe('ONNX transformer models', () => {
  const modelsDir = tempDir();
  let pool: EmbedPool;
  before(() => {
    buildTestOnnxModel(modelsDir);
    pool = new EmbedPool({ threads: 2 });
  });
  after(() => pool.close());

  it('tokenizes, runs the graph, mean-pools and normalizes like the reference computation', async () => {
    const m = new OnnxModel('glove-gather', entry, { modelsDir, cacheDir: tempDir(), allowDownload: false, hubUrl: OFFLINE_HUB }, pool);
    assert.equal((await m.availability()).available, true);
    const texts = ['The cat sat on the mat.', 'Stock markets fell sharply on Monday', 'dogs'];
    const got = await m.embed(texts, 'document');
    texts.forEach((t, i) => assert.ok(cos(got[i], expectedVector(t)) > 0.99999, t));
    // The query prefix is part of what gets embedded.
    const [q] = await m.embed(['cats'], 'query');
    assert.ok(cos(q, expectedVector('question cats')) > 0.99999);
    assert.ok(cos(q, expectedVector('cats')) < 0.999);
    // Truncation at maxTokens (64): the 200 words after the first 100 do not count.
    const long = `${'cat '.repeat(100)}${'economy '.repeat(200)}`;
    const [l] = await m.embed([long], 'document');
    assert.ok(cos(l, expectedVector('cat')) > 0.99999);
  });

  it('a model with no files and downloads off is a clear MODEL_UNAVAILABLE', async () => {
    const m = new OnnxModel('all-MiniLM-L6-v2', { ...entry, repo: 'Xenova/all-MiniLM-L6-v2', dimension: 384 }, { modelsDir, cacheDir: tempDir(), allowDownload: false, hubUrl: OFFLINE_HUB }, pool);
    const a = await m.availability();
    assert.equal(a.available, false);
    assert.match(a.reason!, /downloads are off \(VECTRA_MODEL_DOWNLOADS=off\): put config\.json, tokenizer\.json, onnx\/model\.onnx under VECTRA_MODELS_DIR\/Xenova\/all-MiniLM-L6-v2\/, or allow downloads/);
    await assert.rejects(m.embed(['x'], 'document'), (e: Error & { code?: string }) => e.code === 'MODEL_UNAVAILABLE' && e.message === a.reason);
  });

  it('with downloads on but the hub unreachable, it is unavailable, saying the download cannot happen and where files could go', async () => {
    const hubUrl = await closedPortUrl();
    const m = new OnnxModel('all-MiniLM-L6-v2', { ...entry, repo: 'Xenova/all-MiniLM-L6-v2', dimension: 384 }, { modelsDir, cacheDir: tempDir(), allowDownload: true, hubUrl }, pool);
    const a = await m.availability();
    assert.equal(a.available, false);
    assert.ok(a.reason!.includes(`cannot be downloaded: ${hubUrl} is unreachable (connect ECONNREFUSED`), a.reason);
    assert.match(a.reason!, /VECTRA_MODELS_DIR\/Xenova\/all-MiniLM-L6-v2\//);
    await assert.rejects(m.embed(['x'], 'document'), (e: Error & { code?: string }) => e.code === 'MODEL_UNAVAILABLE' && /download/.test(e.message) && /VECTRA_MODELS_DIR/.test(e.message));
  });

  it('a model missing one of its files is not available, and says which files it needs', async () => {
    const partial = tempDir();
    mkdirSync(join(partial, 'me/half'), { recursive: true });
    writeFileSync(join(partial, 'me/half/config.json'), '{}');
    const m = new OnnxModel('half', { ...entry, repo: 'me/half' }, { modelsDir: partial, cacheDir: tempDir(), allowDownload: false, hubUrl: OFFLINE_HUB }, pool);
    assert.equal(m.localFiles(), null);
    assert.match((await m.availability()).reason!, /put config\.json, tokenizer\.json, onnx\/model\.onnx under VECTRA_MODELS_DIR\/me\/half\//);
  });

  it('served: a configured ONNX model backs a collection for text upsert and search', async () => {
    const config = join(tempDir(), 'models.json');
    writeFileSync(config, JSON.stringify({ models: [{ id: 'glove-gather', provider: 'onnx', repo: TEST_REPO, dimension: 100 }] }));
    const s = await testServer({ VECTRA_MODELS_DIR: modelsDir, VECTRA_MODELS_CONFIG: config });
    const api = client(s.url, (await register(s.url)).key);
    const models = await api('GET', '/v1/models');
    assert.ok(models.body.models.some((x: { id: string; available: boolean }) => x.id === 'glove-gather' && x.available));
    assert.equal((await api('POST', '/v1/collections', { name: 'news', model: 'glove-gather' })).status, 201);
    const up = await api('POST', '/v1/collections/news/records', {
      records: [
        { id: 'a', text: 'The central bank raised interest rates again' },
        { id: 'b', text: 'A kitten chased the dog around the garden' },
        { id: 'c', text: 'The striker scored twice in the final' },
      ],
    });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    const r = await api('POST', '/v1/collections/news/search', { text: 'inflation and monetary policy', k: 3, return: 'id' });
    assert.equal(r.body.results[0].id, 'a');
    const e = await api('POST', '/v1/embed', { texts: ['dogs'], model: 'glove-gather' });
    assert.ok(cos(e.body.vectors[0], expectedVector('dogs')) > 0.99999);
  });

  it('served offline: /v1/models says which models can load and why not; a collection cannot be created on one that cannot', async () => {
    const config = join(tempDir(), 'models.json');
    writeFileSync(config, JSON.stringify({ models: [{ id: 'glove-gather', provider: 'onnx', repo: TEST_REPO, dimension: 100 }] }));
    const s = await testServer({ VECTRA_MODELS_DIR: modelsDir, VECTRA_MODELS_CONFIG: config, VECTRA_MODEL_DOWNLOADS: 'off' });
    const api = client(s.url, (await register(s.url)).key);
    const listed = (await api('GET', '/v1/models')).body;
    const byId = new Map(listed.models.map((m: { id: string }) => [m.id, m]));
    assert.deepEqual(byId.get('glove-gather'), { id: 'glove-gather', dimension: 100, provider: 'onnx', description: `ONNX ${TEST_REPO}`, available: true });
    for (const id of ['all-MiniLM-L6-v2', 'bge-small-en-v1.5', 'e5-small-v2', 'nomic-embed-text-v1.5']) {
      const m = byId.get(id) as { available: boolean; reason: string };
      assert.equal(m.available, false, id);
      assert.match(m.reason, /has no files on this server and downloads are off \(VECTRA_MODEL_DOWNLOADS=off\): put config\.json, tokenizer\.json, onnx\/model\.onnx under VECTRA_MODELS_DIR\/[^/]+\/[^/]+\/, or allow downloads/);
      assert.ok(!m.reason.includes(modelsDir), 'the server\'s own paths stay its own');
    }
    assert.equal(listed.rerankers.find((r: { id: string }) => r.id === 'ms-marco-MiniLM-L-6-v2').available, false);

    const refused = await api('POST', '/v1/collections', { name: 'mini', model: 'all-MiniLM-L6-v2' });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.code, 'MODEL_UNAVAILABLE');
    assert.match(refused.body.error.message, /^model "all-MiniLM-L6-v2" has no files on this server .* under VECTRA_MODELS_DIR\/Xenova\/all-MiniLM-L6-v2\/, or allow downloads; or create the collection with a model GET \/v1\/models lists as available$/);
    assert.equal((await api('GET', '/v1/collections/mini')).status, 404, 'nothing was created');
    assert.equal((await api('POST', '/v1/collections', { name: 'mini', model: 'glove-gather' })).status, 201);
    await s.close();
  });

  it('served with downloads on: available when the hub answers, not when it cannot be reached (probed locally, never the network)', async () => {
    const unreachable = await closedPortUrl();
    const s = await testServer({ VECTRA_MODEL_DOWNLOADS: 'on', VECTRA_MODEL_HUB: unreachable });
    const api = client(s.url, (await register(s.url)).key);
    const mini = (await api('GET', '/v1/models')).body.models.find((m: { id: string }) => m.id === 'all-MiniLM-L6-v2');
    assert.equal(mini.available, false);
    assert.ok(mini.reason.includes(`cannot be downloaded: ${unreachable} is unreachable (connect ECONNREFUSED`), mini.reason);
    const refused = await api('POST', '/v1/collections', { name: 'mini', model: 'all-MiniLM-L6-v2' });
    assert.equal(refused.status, 503);
    assert.match(refused.body.error.message, /unreachable .*VECTRA_MODELS_DIR\/Xenova\/all-MiniLM-L6-v2\//);
    await s.close();

    // A hub that answers (here: one with no files at all) makes the model available; its first text write then says the download failed.
    const hub = await localHttp((_req, res) => res.writeHead(_req.method === 'HEAD' ? 200 : 404).end());
    const s2 = await testServer({ VECTRA_MODEL_DOWNLOADS: 'on', VECTRA_MODEL_HUB: hub.url });
    const api2 = client(s2.url, (await register(s2.url)).key);
    assert.equal((await api2('GET', '/v1/models')).body.models.find((m: { id: string }) => m.id === 'all-MiniLM-L6-v2').available, true);
    assert.equal((await api2('POST', '/v1/collections', { name: 'mini', model: 'all-MiniLM-L6-v2' })).status, 201);
    const write = await api2('POST', '/v1/collections/mini/records', { records: [{ text: 'hello' }] });
    assert.equal(write.status, 503);
    assert.match(write.body.error.message, /could not be downloaded from http:\/\/127\.0\.0\.1:\d+\/ .*VECTRA_MODELS_DIR\/Xenova\/all-MiniLM-L6-v2\//);
    await s2.close();
    await hub.close();
  });

  it('a cross-encoder scores (query, passage) pairs like the reference computation', async () => {
    buildTestReranker(modelsDir);
    const r = new Reranker('glove-cross', { repo: TEST_RERANKER_REPO, maxTokens: 128, dtype: 'fp32', description: 'test' }, { modelsDir, cacheDir: tempDir(), allowDownload: false, hubUrl: OFFLINE_HUB }, pool);
    assert.equal((await r.availability()).available, true);
    const query = 'cheap train tickets';
    const passages = ['Rail fares fell this year', 'The cat sat on the mat', 'Train tickets are cheap on Tuesdays', ...Array.from({ length: 40 }, (_, i) => `passage number ${i} about trains`)];
    const got = await r.score(query, passages);
    assert.equal(got.length, passages.length);
    passages.forEach((p, i) => {
      const want = expectedRerankScore(query, p);
      assert.ok(Math.abs(got[i] - want) <= 1e-3 * Math.max(1, Math.abs(want)), `${p}: ${got[i]} vs ${want}`);
    });
    const missing = new Reranker('ms-marco-MiniLM-L-6-v2', { repo: 'Xenova/ms-marco-MiniLM-L-6-v2', maxTokens: 512, dtype: 'fp32', description: '' }, { modelsDir, cacheDir: tempDir(), allowDownload: false, hubUrl: OFFLINE_HUB }, pool);
    await assert.rejects(missing.score('q', ['p']), (e: Error & { code?: string }) => e.code === 'MODEL_UNAVAILABLE' && /VECTRA_MODELS_DIR/.test(e.message));
  });

  it('served: search reranks its candidates with a configured cross-encoder', async () => {
    buildTestReranker(modelsDir);
    const config = join(tempDir(), 'models.json');
    writeFileSync(config, JSON.stringify({ models: [{ id: 'glove-cross', provider: 'onnx', task: 'rerank', repo: TEST_RERANKER_REPO }] }));
    const s = await testServer({ VECTRA_MODELS_DIR: modelsDir, VECTRA_MODELS_CONFIG: config });
    const api = client(s.url, (await register(s.url)).key);
    const listed = await api('GET', '/v1/models');
    assert.ok(listed.body.rerankers.some((x: { id: string; available: boolean }) => x.id === 'glove-cross' && x.available));
    assert.ok(!listed.body.models.some((x: { id: string }) => x.id === 'glove-cross'), 'a reranker is not an embedding model');
    await api('POST', '/v1/collections', { name: 'news' });
    const texts = ['The central bank raised interest rates', 'A kitten chased the dog', 'Stocks fell as bond yields rose', 'The striker scored twice', 'Inflation and interest rates worry markets'];
    await api('POST', '/v1/collections/news/records', { records: texts.map((text, i) => ({ id: `n${i}`, text })) });
    const query = 'interest rates and inflation';
    const r = await api('POST', '/v1/collections/news/search', { text: query, k: 3, rerank: { type: 'cross-encoder', model: 'glove-cross' }, candidates: 5 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const want = texts.map((t, i) => ({ id: `n${i}`, s: expectedRerankScore(query, t) })).sort((a, b) => b.s - a.s).slice(0, 3);
    assert.deepEqual(r.body.results.map((h: { id: string }) => h.id), want.map((w) => w.id));
    for (const h of r.body.results) {
      assert.equal(h.score, h.scores.rerank);
      assert.equal(typeof h.scores.dense, 'number', 'the retrieval score is kept');
      assert.equal(typeof h.ranks.dense, 'number', 'and the retrieval rank');
    }
    const unknown = await api('POST', '/v1/collections/news/search', { text: query, rerank: { type: 'cross-encoder', model: 'nope' } });
    assert.equal(unknown.status, 400);
    const noFiles = await api('POST', '/v1/collections/news/search', { text: query, rerank: { type: 'cross-encoder', model: 'bge-reranker-base' } });
    assert.equal(noFiles.status, 503);
    const noText = await api('POST', '/v1/collections/news/search', { vector: new Array(100).fill(0.1), rerank: { type: 'cross-encoder', model: 'glove-cross' } });
    assert.equal(noText.status, 400);
    await s.close();
  });
});
