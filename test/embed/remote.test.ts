/**
 * Remote embedding providers against local servers speaking each provider's documented wire
 * format (OpenAI /v1/embeddings, Cohere /v2/embed, Hugging Face feature-extraction), through
 * a real Vectra server; and Vectra's own OpenAI-compatible endpoint through the official
 * `openai` npm client.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { client, register, testServer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

const DIM = 8;
const KEYS = { openai: 'sk-test-openai-secret-123', cohere: 'co-test-secret-456', hf: 'hf_test_secret_789' };

/** A deterministic vector per text, so answers can be checked. */
function fakeVector(text: string): number[] {
  const v = new Array<number>(DIM).fill(0);
  for (const w of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    let h = 2166136261;
    for (const ch of w) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    v[h % DIM] += 1;
  }
  return v;
}

interface Seen {
  path: string;
  auth: string | undefined;
  body: any;
}

async function fakeProvider(handle: (req: IncomingMessage, body: any) => { status: number; body: unknown; headers?: Record<string, string> }): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : null;
      seen.push({ path: req.url!, auth: req.headers.authorization, body });
      const out = handle(req, body);
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('remote embedding providers', () => {
  const fail: { status: number; times: number } = { status: 0, times: 0 };
  let openai: Awaited<ReturnType<typeof fakeProvider>>;
  let cohere: Awaited<ReturnType<typeof fakeProvider>>;
  let hf: Awaited<ReturnType<typeof fakeProvider>>;
  let api: ReturnType<typeof client>;
  let base: string;
  let key: string;
  const config = join(tempDir(), 'models.json');
  const dataDir = tempDir();

  before(async () => {
    openai = await fakeProvider((req, body) => {
      if (req.headers.authorization !== `Bearer ${KEYS.openai}`) return { status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } };
      if (fail.times > 0) {
        fail.times--;
        return { status: fail.status, body: { error: { message: 'slow down' } }, headers: fail.status === 429 ? { 'retry-after': '0' } : {} };
      }
      // Documented shape; data deliberately out of order (clients must use `index`).
      const data = (body.input as string[]).map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t) })).reverse();
      return { status: 200, body: { object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } } };
    });
    cohere = await fakeProvider((_req, body) => ({
      status: 200,
      body: { id: 'x', embeddings: { float: (body.texts as string[]).map(fakeVector) }, texts: body.texts, meta: { api_version: { version: '2' } } },
    }));
    hf = await fakeProvider((_req, body) => ({ status: 200, body: (body.inputs as string[]).map(fakeVector) }));
    process.env.TEST_OPENAI_KEY = KEYS.openai;
    process.env.TEST_COHERE_KEY = KEYS.cohere;
    process.env.TEST_HF_KEY = KEYS.hf;
    writeFileSync(
      config,
      JSON.stringify({
        models: [
          { id: 'oa', provider: 'openai', baseUrl: `${openai.url}/v1`, model: 'text-embedding-3-small', dimension: DIM, apiKeyEnv: 'TEST_OPENAI_KEY', batchSize: 2 },
          { id: 'co', provider: 'cohere', baseUrl: cohere.url, model: 'embed-english-v3.0', dimension: DIM, apiKeyEnv: 'TEST_COHERE_KEY' },
          { id: 'hf', provider: 'huggingface', baseUrl: `${hf.url}/models`, model: 'sentence-transformers/all-MiniLM-L6-v2', dimension: DIM, apiKeyEnv: 'TEST_HF_KEY' },
          { id: 'nokey', provider: 'cohere', model: 'embed-english-v3.0', dimension: DIM, apiKeyEnv: 'TEST_UNSET_KEY' },
        ],
      }),
    );
    const s = await testServer({ VECTRA_MODELS_CONFIG: config }, dataDir);
    base = s.url;
    key = (await register(base)).key;
    api = client(base, key);
  });
  after(() => {
    for (const p of [openai, cohere, hf]) p.server.close();
  });

  it('OpenAI wire format: key sent, batches of batchSize, answers put back in order', async () => {
    assert.equal((await api('POST', '/v1/collections', { name: 'oa', model: 'oa' })).status, 201);
    openai.seen.length = 0;
    const up = await api('POST', '/v1/collections/oa/records', { records: [{ id: 'cat', text: 'cat cat' }, { id: 'dog', text: 'dog' }, { id: 'fish', text: 'fish fish fish' }] });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(openai.seen.length, 2); // 3 texts, batchSize 2
    for (const s of openai.seen) {
      assert.equal(s.path, '/v1/embeddings');
      assert.equal(s.auth, `Bearer ${KEYS.openai}`);
      assert.equal(s.body.model, 'text-embedding-3-small');
      assert.ok(s.body.input.length <= 2);
    }
    const r = await api('POST', '/v1/collections/oa/search', { text: 'fish', k: 1, return: 'id' });
    assert.equal(r.body.results[0].id, 'fish');
    const stored = await api('GET', '/v1/collections/oa/records/cat?includeVector=true');
    const v = fakeVector('cat cat');
    const n = Math.hypot(...v);
    assert.deepEqual(stored.body.vector.map((x: number) => Math.fround(x)), v.map((x) => Math.fround(x / n)));
  });

  it('retries 429 (honouring Retry-After) and 5xx with backoff, then succeeds', async () => {
    fail.status = 429;
    fail.times = 2;
    openai.seen.length = 0;
    const r = await api('POST', '/v1/embed', { texts: ['retry me'], model: 'oa' });
    assert.equal(r.status, 200);
    assert.equal(openai.seen.length, 3);
    fail.status = 503;
    fail.times = 1;
    assert.equal((await api('POST', '/v1/embed', { texts: ['and me'], model: 'oa' })).status, 200);
    // Past the retry budget: a clear 503, not a hang or a 500.
    fail.status = 500;
    fail.times = 100;
    const gaveUp = await api('POST', '/v1/embed', { texts: ['never'], model: 'oa' });
    fail.times = 0;
    assert.equal(gaveUp.status, 503);
    assert.equal(gaveUp.body.error.code, 'MODEL_UNAVAILABLE');
    assert.match(gaveUp.body.error.message, /answered 500/);
  });

  it('a rejected key is a 503 naming the model and the provider status, and never echoes a key', async () => {
    process.env.TEST_OPENAI_KEY = 'sk-wrong-key-000';
    try {
      const r = await api('POST', '/v1/embed', { texts: ['x'], model: 'oa' });
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'MODEL_UNAVAILABLE');
      assert.match(r.body.error.message, /"oa".*401/);
      assert.ok(!JSON.stringify(r.body).includes('sk-wrong-key-000'));
    } finally {
      process.env.TEST_OPENAI_KEY = KEYS.openai;
    }
    const models = await api('GET', '/v1/models');
    for (const secret of Object.values(KEYS)) assert.ok(!JSON.stringify(models.body).includes(secret));
  });

  it('Cohere wire format: search_query for searches, search_document for records', async () => {
    await api('POST', '/v1/collections', { name: 'co', model: 'co' });
    cohere.seen.length = 0;
    await api('POST', '/v1/collections/co/records', { records: [{ id: 'a', text: 'alpha beta' }] });
    await api('POST', '/v1/collections/co/search', { text: 'alpha', k: 1 });
    assert.deepEqual(cohere.seen.map((s) => [s.path, s.auth, s.body.input_type, s.body.embedding_types]), [
      ['/v2/embed', `Bearer ${KEYS.cohere}`, 'search_document', ['float']],
      ['/v2/embed', `Bearer ${KEYS.cohere}`, 'search_query', ['float']],
    ]);
  });

  it('Hugging Face wire format', async () => {
    hf.seen.length = 0;
    const r = await api('POST', '/v1/embed', { texts: ['one', 'two'], model: 'hf' });
    assert.equal(r.status, 200);
    assert.deepEqual(hf.seen.map((s) => [s.path, s.auth, s.body]), [['/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction', `Bearer ${KEYS.hf}`, { inputs: ['one', 'two'] }]]);
  });

  it('a model without its key is listed unavailable and answers 503 naming the variable', async () => {
    const models = await api('GET', '/v1/models');
    assert.equal(models.body.models.find((m: { id: string }) => m.id === 'nokey').available, false);
    const r = await api('POST', '/v1/embed', { texts: ['x'], model: 'nokey' });
    assert.equal(r.status, 503);
    assert.match(r.body.error.message, /TEST_UNSET_KEY/);
  });

  it("the official openai client works against Vectra's /v1/embeddings", async () => {
    const oa = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
    const res = await oa.embeddings.create({ model: 'glove-100d-v2', input: ['hello world', 'goodbye'] }); // base64 on the wire by default
    assert.equal(res.data.length, 2);
    assert.equal(res.data[1].index, 1);
    const direct = await api('POST', '/v1/embed', { texts: ['hello world'] });
    assert.deepEqual(res.data[0].embedding.map(Math.fround), direct.body.vectors[0].map(Math.fround));
    const floats = await oa.embeddings.create({ model: 'glove-100d-v2', input: 'hello world', encoding_format: 'float' });
    assert.deepEqual(floats.data[0].embedding.map(Math.fround), direct.body.vectors[0].map(Math.fround));
    await assert.rejects(oa.embeddings.create({ model: 'no-such-model', input: 'x' }), (e: InstanceType<typeof OpenAI.APIError>) => e.status === 400);
    await assert.rejects(new OpenAI({ apiKey: 'vk_wrong', baseURL: `${base}/v1`, maxRetries: 0 }).embeddings.create({ model: 'glove-100d-v2', input: 'x' }), (e: InstanceType<typeof OpenAI.APIError>) => e.status === 401);
  });
});

describe('a collection whose model is no longer configured', () => {
  it('answers text operations with 503 naming the model; vector operations keep working', async () => {
    const hf = await fakeProvider((_req, body) => ({ status: 200, body: (body.inputs as string[]).map(fakeVector) }));
    const config = join(tempDir(), 'models.json');
    writeFileSync(config, JSON.stringify({ models: [{ id: 'gone-later', provider: 'huggingface', baseUrl: hf.url, model: 'm', dimension: DIM, apiKeyEnv: '', apiKey: 'hf_inline' }] }));
    const dataDir = tempDir();
    const first = await testServer({ VECTRA_MODELS_CONFIG: config }, dataDir);
    const { key } = await register(first.url);
    let api = client(first.url, key);
    await api('POST', '/v1/collections', { name: 'kept', model: 'gone-later' });
    assert.equal((await api('POST', '/v1/collections/kept/records', { records: [{ id: 'a', text: 'alpha' }, { id: 'b', text: 'beta' }] })).status, 200);
    await first.close();
    hf.server.close();

    const second = await testServer({}, dataDir);
    api = client(second.url, key);
    const got = await api('GET', '/v1/collections/kept');
    assert.equal(got.body.model, 'gone-later');
    for (const [path, body] of [
      ['/v1/collections/kept/search', { text: 'alpha' }],
      ['/v1/collections/kept/records', { records: [{ id: 'c', text: 'gamma' }] }],
    ] as const) {
      const r = await api('POST', path, body);
      assert.equal(r.status, 503, path);
      assert.equal(r.body.error.code, 'MODEL_UNAVAILABLE');
      assert.match(r.body.error.message, /gone-later/);
    }
    const v = fakeVector('alpha');
    const byVector = await api('POST', '/v1/collections/kept/search', { vector: v, k: 1, return: 'id' });
    assert.equal(byVector.status, 200);
    assert.equal(byVector.body.results[0].id, 'a');
    assert.equal((await api('POST', '/v1/collections/kept/records', { records: [{ id: 'c', vector: v }] })).status, 200);
    assert.equal((await api('GET', '/v1/collections/kept/records/b')).body.text, 'beta');
  });
});
