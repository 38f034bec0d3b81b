/**
 * npm run bench:expansion [-- --queries 500 --sweep [--only <text in a sweep row's label>]]
 *
 * Does query expansion (issue 23 item 6, `expand` on a search) find the right answer more often?
 * The model benchmark's WordNet task (src/embed/wordnet.ts, "wordnet-example-to-sense"): the
 * query is an example sentence of a word sense, the corpus every sense of the queries' words as
 * "lemmas: definition", one right answer. The corpus goes into a collection with the built-in
 * model (glove-100d-v2) on the built `vectra serve` in its own process; the same queries run with
 * no expansion (the baseline, in the same run) and with each strategy, in dense, hybrid and (for
 * the strategies that allow it) keyword mode, k 10 over HTTP, one at a time. Prints accuracy@1,
 * recall@10, MRR@10 and the mean wall time per query seen by the client. `--sweep` adds rows
 * for the strategies' parameters (how the defaults were chosen).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { wordnetTask } from '../src/embed/wordnet.js';
import { poster, serveProcess, upsertAll, waitIndexed } from './lib/server.js';

const { values } = parseArgs({ options: { queries: { type: 'string' }, wordnet: { type: 'string' }, sweep: { type: 'boolean' }, only: { type: 'string' } } });
const QUERIES = Number(values.queries ?? 500);
const WORDNET = values.wordnet ?? process.env.VECTRA_WORDNET_DIR ?? '/usr/share/wordnet';

const task = wordnetTask(WORDNET, QUERIES);
const f = (n: number, d = 3) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const dataDir = mkdtempSync(join(tmpdir(), 'vectra-bench-expansion-'));
const server = await serveProcess(dataDir, [], [], undefined, { VECTRA_RATE_LIMIT: '10000000' });
const post = poster(server.url);

type Mode = 'dense' | 'hybrid' | 'keyword';
interface Row { label: string; mode: Mode; expand?: Record<string, unknown>; expandedText?: boolean }

/**
 * The other way to give the dense side the neighbours (a --sweep row): embed the expanded text
 * itself (what `expanded.text` holds), instead of moving the query's vector toward the
 * neighbours' by `weight`.
 */
async function expandedTextBody(key: string, text: string): Promise<Record<string, unknown>> {
  const probe = (await post('/v1/collections/wordnet/search', { text, k: 1, mode: 'keyword', return: 'id', expand: { strategy: 'words' } }, key)) as { expanded: { text: string } };
  return { text: probe.expanded.text };
}

async function score(key: string, row: Row): Promise<string> {
  let at1 = 0;
  let at10 = 0;
  let mrr = 0;
  let ms = 0;
  for (const q of task.queries) {
    const t = performance.now();
    const query = row.expandedText ? await expandedTextBody(key, q.text) : { text: q.text, ...(row.expand ? { expand: row.expand } : {}) };
    const r = (await post('/v1/collections/wordnet/search', { ...query, k: 10, mode: row.mode, return: 'id' }, key)) as { results: { id: string }[] };
    ms += performance.now() - t;
    const rank = r.results.findIndex((h) => h.id === String(q.target));
    if (rank === 0) at1++;
    if (rank >= 0) (at10++, (mrr += 1 / (rank + 1)));
  }
  const n = task.queries.length;
  return `| ${row.mode} | ${row.label} | ${f(at1 / n)} | ${f(at10 / n)} | ${f(mrr / n)} | ${f(ms / n, 1)} |`;
}

try {
  const { apiKey: key } = await post('/v1/auth/register', { name: 'bench-expansion' });
  await post('/v1/collections', { name: 'wordnet' }, key);
  await upsertAll(post, key, 'wordnet', task.corpus.length, 1000, (i) => ({ id: String(i), text: task.corpus[i] }));
  await waitIndexed(server.url, key, 'wordnet');
  // Warm-up: the thesaurus's matrix is built on first use.
  await post('/v1/collections/wordnet/search', { text: 'warm up the car', expand: { strategy: 'words' } }, key);

  const rows: Row[] = [];
  for (const mode of ['dense', 'hybrid', 'keyword'] as const) {
    rows.push({ label: 'none (baseline)', mode });
    rows.push({ label: 'words', mode, expand: { strategy: 'words' } });
    if (mode !== 'keyword') rows.push({ label: 'prf', mode, expand: { strategy: 'prf' } });
    rows.push({ label: 'multi', mode, expand: { strategy: 'multi' } });
  }
  console.log(`\n### ${task.name}: ${task.queries.length} queries, ${task.corpus.length} senses, k 10, built-in model glove-100d-v2, default parameters\n`);
  console.log('| mode | expand | accuracy@1 | recall@10 | MRR@10 | ms/query (shared machine) |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(await score(key, row));

  if (values.sweep) {
    const sweep: Row[] = [];
    for (const mode of ['dense', 'hybrid'] as const) {
      for (const weight of [0.2, 0.35, 0.5, 0.7]) for (const docs of [3, 5, 10]) sweep.push({ label: `prf docs ${docs} weight ${weight}`, mode, expand: { strategy: 'prf', docs, weight } });
      for (const minSimilarity of [0.6, 0.7, 0.8]) for (const terms of [1, 2, 3]) sweep.push({ label: `words terms ${terms} minSimilarity ${minSimilarity}`, mode, expand: { strategy: 'words', terms, minSimilarity } });
      for (const weight of [0.1, 0.2, 0.35, 0.5]) sweep.push({ label: `words weight ${weight}`, mode, expand: { strategy: 'words', weight } });
      sweep.push({ label: "words, the dense side embedding the expanded text instead (client-side; ms include a second search)", mode, expandedText: true });
      for (const queries of [2, 4, 8]) sweep.push({ label: `multi queries ${queries}`, mode, expand: { strategy: 'multi', queries } });
    }
    console.log('\n### Parameters\n');
    console.log('| mode | expand | accuracy@1 | recall@10 | MRR@10 | ms/query (shared machine) |');
    console.log('|---|---|---|---|---|---|');
    for (const row of sweep.filter((r) => values.only === undefined || r.label.includes(values.only))) console.log(await score(key, row));
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
