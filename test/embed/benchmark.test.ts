/**
 * The model benchmark: WordNet parsing and the example → sense task (unit), then the real
 * thing — Debian's WordNet files, the embedding workers, POST /v1/models/benchmark and
 * `vectra models bench` — on the built-in models and the ONNX model the tests build.
 * CI installs wordnet-base (.ci/run); elsewhere the WordNet parts skip with the reason.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { ModelScore } from '../../src/embed/benchmark.js';
import { WORDNET_DEFAULT_DIR } from '../../src/config.js';
import { exampleToSenseTask, parseSynsetLine, type Synset } from '../../src/embed/wordnet.js';
import { buildTestOnnxModel, TEST_REPO } from '../support/onnx-model.js';
import { REPO_ROOT } from '../support/glove.js';
import { client, errorCode, MODEL_CACHE, register, testServer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

const HAVE_WORDNET = existsSync(join(WORDNET_DEFAULT_DIR, 'data.noun'));
// In CI WordNet must be there (.ci/run installs it): a missing file fails there instead of skipping.
const needWordnet = HAVE_WORDNET || process.env.CI ? false : 'WordNet is not installed (apt-get install wordnet-base)';

describe('WordNet task', () => {
  it('parses data lines: lemmas without markers, definition, examples', () => {
    const kill = parseSynsetLine('00217593 04 n 02 kill 1 kill_shot 0 002 @ 00217014 n 0000 + 00355365 v 0101 | the destruction of an enemy plane or ship or tank or missile; "the pilot reported two kills during the mission"; "a clean kill"  ');
    assert.deepEqual(kill, {
      id: '00217593n', lemmas: ['kill', 'kill shot'],
      definition: 'the destruction of an enemy plane or ship or tank or missile',
      examples: ['the pilot reported two kills during the mission', 'a clean kill'],
    });
    const dead = parseSynsetLine('00095873 00 s 0a asleep(p) 0 at_peace(p) 2 at_rest(p) 0 deceased 0 departed 0 gone 0 x 0 y 0 z 0 w 0 003 & 00095280 a 0000 | dead; "he is deceased"');
    assert.equal(dead!.id, '00095873a'); // satellite adjectives are adjectives
    assert.deepEqual(dead!.lemmas.slice(0, 4), ['asleep', 'at peace', 'at rest', 'deceased']); // w_cnt is hex: 0a = 10
    assert.equal(dead!.lemmas.length, 10);
    assert.deepEqual(parseSynsetLine('00217499 04 n 01 disaster 0 001 @ 00217014 n 0000 | an act that has disastrous consequences  '), {
      id: '00217499n', lemmas: ['disaster'], definition: 'an act that has disastrous consequences', examples: [],
    });
    assert.equal(parseSynsetLine('  1 This software and database is being provided to you, the LICENSEE, by  '), null);
  });

  const s = (id: string, lemmas: string[], examples: string[] = []): Synset => ({ id, lemmas, definition: `definition of ${id}`, examples });
  const synsets = [
    s('1n', ['bank'], ['he sat on the bank of the river']),
    s('2n', ['bank', 'depository financial institution'], ['he cashed a check at the bank']),
    s('3v', ['bank'], ['too short']),
    s('4n', ['river'], ['the river flooded the whole valley']),
    s('5n', ['unrelated']),
    s('6n', ['Bank'], []),
  ];

  it('queries are examples of four words or more; the corpus holds every sense of their words, each once', () => {
    const task = exampleToSenseTask(synsets, 3, 7);
    assert.equal(task.queries.length, 3);
    for (const q of task.queries) {
      const sense = synsets.find((x) => x.examples.includes(q.text))!;
      assert.ok(q.text.split(' ').length >= 4);
      assert.equal(task.corpus[q.target], `${sense.lemmas.join(', ')}: ${sense.definition}`);
    }
    // All senses of "bank" (any case) and "river" are there; the unrelated one is not.
    assert.deepEqual([...task.corpus].sort(), ['1n', '2n', '3v', '4n', '6n'].map((id) => synsets.find((x) => x.id === id)!).map((x) => `${x.lemmas.join(', ')}: ${x.definition}`).sort());
    assert.equal(new Set(task.corpus).size, task.corpus.length);
  });

  it('reports what word matching alone scores', () => {
    const task = exampleToSenseTask(synsets, 3, 7);
    // "…bank of the river": 4 senses of bank + river match → 1/5; "…at the bank": 1/4; "the river flooded…": 1/1.
    assert.ok(Math.abs(task.reference.accuracyAt1 - (1 / 5 + 1 / 4 + 1) / 3) < 1e-12, String(task.reference.accuracyAt1));
    assert.equal(task.reference.recallAt10, 1);
  });

  it('the sample depends on the seed only', () => {
    assert.deepEqual(exampleToSenseTask(synsets, 2, 3), exampleToSenseTask([...synsets], 2, 3));
    const seen = new Set(Array.from({ length: 20 }, (_, seed) => exampleToSenseTask(synsets, 1, seed).queries[0].text));
    assert.ok(seen.size > 1, 'different seeds draw different queries');
    assert.throws(() => exampleToSenseTask(synsets, 4), /at most 3/);
  });
});

describe('model benchmark on WordNet', { skip: needWordnet }, () => {
  const modelsDir = tempDir();
  let server: Awaited<ReturnType<typeof testServer>>;
  let api: ReturnType<typeof client>;
  before(async () => {
    buildTestOnnxModel(modelsDir);
    const config = join(tempDir(), 'models.json');
    writeFileSync(config, JSON.stringify({ models: [{ id: 'glove-gather', provider: 'onnx', repo: TEST_REPO, dimension: 100 }] }));
    server = await testServer({ VECTRA_MODELS_DIR: modelsDir, VECTRA_MODELS_CONFIG: config });
    api = client(server.url, (await register(server.url)).key);
  });
  after(() => server?.close());

  it('POST /v1/models/benchmark scores every local model; the better recipe scores higher', async () => {
    const r = await api('POST', '/v1/models/benchmark', { queries: 400 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.task.name, 'wordnet-example-to-sense');
    assert.equal(r.body.task.queries, 400);
    assert.ok(r.body.task.corpus > 1000, 'every sense of the sampled words is a candidate');
    const ref = r.body.task.reference;
    assert.ok(ref.accuracyAt1 > 0.05 && ref.accuracyAt1 < ref.recallAt10 && ref.recallAt10 < 1, JSON.stringify(ref));
    // Local models only: the built-ins and the ONNX model with files here, not the catalog's missing ones.
    const rows = r.body.results as ModelScore[];
    assert.deepEqual(rows.map((x) => x.model).sort(), ['glove-100d-v1', 'glove-100d-v2', 'glove-gather']);
    for (const row of rows) {
      assert.ok(row.textsPerSecond > 0);
      // Far above chance: 20 times what a random ranking of the corpus scores.
      assert.ok(row.accuracyAt1 > 20 / r.body.task.corpus, `${row.model} accuracy@1 ${row.accuracyAt1}`);
      assert.ok(row.accuracyAt1 <= row.mrrAt10 && row.mrrAt10 <= row.recallAt10 && row.recallAt10 <= 1, JSON.stringify(row));
    }
    const v1 = rows.find((x) => x.model === 'glove-100d-v1')!;
    const v2 = rows.find((x) => x.model === 'glove-100d-v2')!;
    assert.ok(v2.recallAt10 > v1.recallAt10 && v2.mrrAt10 > v1.mrrAt10, `v2 ${JSON.stringify(v2)} vs v1 ${JSON.stringify(v1)}`);
  });

  it('is the same on a second run (nothing served from the cache changes the scores)', async () => {
    const a = await api('POST', '/v1/models/benchmark', { models: ['glove-100d-v2'], queries: 200 });
    const b = await api('POST', '/v1/models/benchmark', { models: ['glove-100d-v2'], queries: 200 });
    const strip = ({ textsPerSecond: _t, seconds: _s, ...rest }: ModelScore) => rest;
    assert.deepEqual(strip(b.body.results[0]), strip(a.body.results[0]));
  });

  it('one run at a time; bad input and read-only keys get clear 4xx', async () => {
    const [first, second] = await Promise.all([
      api('POST', '/v1/models/benchmark', { models: ['glove-100d-v2'], queries: 300 }),
      new Promise((r) => setTimeout(r, 20)).then(() => api('POST', '/v1/models/benchmark', { models: ['glove-100d-v1'], queries: 300 })),
    ]);
    assert.equal(first.status, 200);
    assert.equal(second.status, 409);
    assert.equal(errorCode(second), 'BENCHMARK_RUNNING');
    for (const body of [{ queries: 0 }, { queries: 5001 }, { queries: 1.5 }, { models: [] }, { extra: 1 }]) {
      const r = await api('POST', '/v1/models/benchmark', body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const unknown = await api('POST', '/v1/models/benchmark', { models: ['nope'] });
    assert.equal(errorCode(unknown), 'MODEL_NOT_FOUND');
    const ro = await api('POST', '/v1/keys', { name: 'ro', scopes: ['read'] });
    const r = await client(server.url, ro.body.apiKey)('POST', '/v1/models/benchmark', {});
    assert.equal(r.status, 403);
    // No body at all: the defaults (500 queries, the local models).
    const bare = await api('POST', '/v1/models/benchmark');
    assert.equal(bare.status, 200, JSON.stringify(bare.body));
    assert.equal(bare.body.task.queries, 500);
    // A model that cannot run gets an error row; the others still report.
    const mixed = await api('POST', '/v1/models/benchmark', { models: ['all-MiniLM-L6-v2', 'glove-100d-v2'], queries: 50 });
    assert.equal(mixed.status, 200);
    assert.equal(mixed.body.results[0].error.code, 'MODEL_UNAVAILABLE');
    assert.ok(mixed.body.results[1].accuracyAt1 > 0);
  });

  it('`vectra models list` and `vectra models bench` print tables and JSON', async () => {
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
      env: { ...process.env, VECTRA_MODEL_CACHE: MODEL_CACHE, VECTRA_MODEL_DOWNLOADS: 'off', VECTRA_DATA_DIR: tempDir() },
    });
    const list = await cli('models', 'list');
    assert.match(list.stdout, /\| glove-100d-v2 \(default\) \| builtin \| 100 \| yes \|/);
    assert.match(list.stdout, /\| all-MiniLM-L6-v2 \| onnx \| 384 \| no \|/);
    assert.match(list.stdout, /\nNot available here:\n- all-MiniLM-L6-v2: model "all-MiniLM-L6-v2" has no files on this server and downloads are off \(VECTRA_MODEL_DOWNLOADS=off\): set VECTRA_MODELS_DIR and put .* under VECTRA_MODELS_DIR\/Xenova\/all-MiniLM-L6-v2\/, or allow downloads\n/);
    const json = JSON.parse((await cli('models', 'bench', '--models', 'glove-100d-v2', '--queries', '100', '--json')).stdout);
    assert.equal(json.results[0].model, 'glove-100d-v2');
    assert.ok(json.results[0].accuracyAt1 > 0.05);
    const table = await cli('models', 'bench', '--models', 'glove-100d-v1', '--queries', '100');
    assert.match(table.stdout, /\| glove-100d-v1 \| builtin \| 100 \| [\d,]+ \| 0\.\d{3} \| 0\.\d{3} \| 0\.\d{3} \|/);
    assert.match(table.stdout, /\| \*word match, random order among matching senses \(no model\)\* \| \| \| \| 0\.\d{3} \| 0\.\d{3} \| \|/);
    assert.match(table.stderr, /\[1\/1\] glove-100d-v1: /);
    await assert.rejects(cli('models', 'bench', '--wordnet-dir', tempDir()), (e: { stderr: string; code: number }) => e.code === 1 && /apt-get install wordnet-base/.test(e.stderr));
  });
});

describe('model benchmark without WordNet', () => {
  it('answers 503 BENCHMARK_DATA_MISSING saying how to install it', async () => {
    const s = await testServer({ VECTRA_WORDNET_DIR: tempDir() });
    try {
      const r = await client(s.url, (await register(s.url)).key)('POST', '/v1/models/benchmark', {});
      assert.equal(r.status, 503);
      assert.equal(errorCode(r), 'BENCHMARK_DATA_MISSING');
      assert.match(r.body.error.message, /apt-get install wordnet-base/);
      assert.match(r.body.error.message, /VECTRA_WORDNET_DIR/);
    } finally {
      await s.close();
    }
  });
});
