/**
 * npm run bench:memory [-- --records 62000]
 *
 * Where a server's resident memory goes, by difference between fresh server processes (the
 * build, as `npm start` runs it), each measured 5 s after `/ready` following a restart — the
 * idle state a server returns to — and right after its load:
 *
 *   empty        no collection, no model: Node, V8's heap, the HTTP stack
 *   vectors      N GloVe 100-d vectors in a collection with model "none"
 *   text         N sentences embedded by the built-in model (2 embedding workers)
 *   text, 1      the same with 1 embedding worker
 *
 * vectors − empty is the data (graph, SQLite, id map); text − vectors the model (its shared word
 * vectors and its workers; text − text,1 one worker). Prints Markdown for docs/benchmarks.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gloveData, vec } from './lib/glove-data.js';
import { sentences } from './lib/sentences.js';
import { poster, rssBytes, serveProcess, upsertAll, waitIndexed, type ServerProcess } from './lib/server.js';

const args = process.argv.slice(2);
const at = args.indexOf('--records');
const N = at >= 0 ? Number(args[at + 1]) : 62000;
const MB = 2 ** 20;

const rssMB = (pid: number) => rssBytes(pid) / 2 ** 20;

async function figures(s: ServerProcess) {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rss: rssMB(s.proc.pid!),
    heapUsed: metric('nodejs_heap_size_used_bytes') / MB,
    heapTotal: metric('nodejs_heap_size_total_bytes') / MB,
    index: metric('vectra_index_memory_bytes') / MB,
  };
}

async function ready(s: ServerProcess): Promise<void> {
  while ((await fetch(`${s.url}/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 5000));
}

type Scenario = 'empty' | 'vectors' | 'text';
const texts = sentences(N);
const g = gloveData();

async function measure(scenario: Scenario, threads: number) {
  const dir = mkdtempSync(join(tmpdir(), 'vectra-mem-'));
  const flags = ['--embed-threads', String(threads)];
  let s = await serveProcess(dir, flags);
  const post = poster(s.url);
  const { apiKey: key } = await post('/v1/auth/register', { name: 'mem' });
  if (scenario === 'vectors') {
    await post('/v1/collections', { name: 'c', model: 'none', dimension: 100 }, key);
    await upsertAll(post, key, 'c', N, 1000, (i) => ({ id: `w${i}`, vector: Array.from(vec(g, i)), metadata: { i } }));
  } else if (scenario === 'text') {
    await post('/v1/collections', { name: 'c' }, key);
    await upsertAll(post, key, 'c', N, 500, (i) => ({ id: `s${i}`, text: texts[i], metadata: { i } }));
  }
  if (scenario !== 'empty') await waitIndexed(s.url, key, 'c');
  await new Promise((r) => setTimeout(r, 3000));
  const loaded = await figures(s);
  await s.stop();
  s = await serveProcess(dir, flags);
  await ready(s);
  const idle = await figures(s);
  await s.stop();
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`${scenario} (${threads} embedding threads): ${idle.rss.toFixed(0)} MB idle, ${loaded.rss.toFixed(0)} MB after the load\n`);
  return { loaded, idle };
}

const empty = await measure('empty', 2);
const vectors = await measure('vectors', 2);
const text = await measure('text', 2);
const text1 = await measure('text', 1);

const f = (x: number) => x.toFixed(0);
console.log(`## Resident memory — ${N.toLocaleString('en')} records, 100-d, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| server | idle after restart: RSS MB | V8 heap used / total MB | index estimate MB | right after the load: RSS MB |');
console.log('|---|---|---|---|---|');
for (const [name, m] of [['empty', empty], ['vectors (model "none")', vectors], ['text (built-in model, 2 workers)', text], ['text (built-in model, 1 worker)', text1]] as const) {
  console.log(`| ${name} | ${f(m.idle.rss)} | ${f(m.idle.heapUsed)} / ${f(m.idle.heapTotal)} | ${Number.isNaN(m.idle.index) ? '—' : f(m.idle.index)} | ${f(m.loaded.rss)} |`);
}
const worker = text.idle.rss - text1.idle.rss;
console.log(`\nIdle, by difference: the process with nothing in it ${f(empty.idle.rss)} MB; the data (graph, SQLite, ids) ${f(vectors.idle.rss - empty.idle.rss)} MB; the built-in model ${f(text.idle.rss - vectors.idle.rss)} MB, of which each embedding worker ${f(worker)} MB and the shared word vectors ${f(text.idle.rss - vectors.idle.rss - 2 * worker)} MB.`);
