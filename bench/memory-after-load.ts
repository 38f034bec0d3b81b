/**
 * npm run bench:memory-after-load [-- --n 100000] [--root DIR] [--node-args="..."] [--sweeps]
 *
 * Resident memory of a server that has just taken a load, as `npm run bench:peers` reads it:
 * `vectra serve` from the build (or the build under --root, to measure another commit; with
 * that checkout's npm start node flags, then --node-args= if given: a later V8 flag wins), n
 * GloVe 100-d vectors over HTTP in batches of 1,000, then waiting until the graph holds
 * them all, 300 searches (ef 160), and 8 s of quiet. Prints VmRSS at each step and, at the
 * end, where it goes: V8's heap and external memory (prom-client's gauges on /metrics), the
 * main malloc arena, other anonymous mappings, and file-backed pages (/proc/<pid>/smaps).
 * With --sweeps, the 300 searches are `npm run bench:peers`' sweeps instead (ef 20–320, each
 * at 1 client then 3 × (1 client, 8 clients)), and VmRSS is read at once after them, as that
 * bench reads it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gloveData, queryWords, ROOT, vec } from './lib/glove-data.js';
import { poster, rssBytes, serveProcess, upsertAll, waitIndexed } from './lib/server.js';
import { EF_VALUES } from './peers/systems.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, root: { type: 'string' }, 'node-args': { type: 'string' }, sweeps: { type: 'boolean' } } });
const n = Number(values.n ?? 100000);
const root = values.root ?? ROOT;
const g = gloveData();
const queries = queryWords(g, 300);
const dir = mkdtempSync(join(tmpdir(), 'vectra-memory-'));
const server = await serveProcess(dir, ['--rate-limit', '10000000'], (values['node-args'] ?? '').split(' ').filter(Boolean), root);
const post = poster(server.url);
const mb = (kb: number) => Math.round(kb / 1024);
const rss = () => Math.round(rssBytes(server.proc.pid!) / 2 ** 20);

const empty = rss();
const { apiKey } = await post('/v1/auth/register', { name: 'bench' });
await post('/v1/collections', { name: 'c', model: 'none', dimension: 100 }, apiKey);
await upsertAll(post, apiKey, 'c', n, 1000, (i) => ({ id: String(i), vector: Array.from(vec(g, i)) }));
const acknowledged = rss();
await waitIndexed(server.url, apiKey, 'c');
const indexed = rss();
const search = (q: number, ef: number) => post('/v1/collections/c/search', { vector: Array.from(vec(g, q)), k: 10, ef, return: 'id' }, apiKey);
async function pass(ef: number, clients: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = next++; i < queries.length; i = next++) await search(queries[i], ef);
  }));
}
if (values.sweeps) {
  for (const ef of EF_VALUES) {
    await pass(ef, 1);
    for (let r = 0; r < 3; r++) {
      await pass(ef, 1);
      await pass(ef, 8);
    }
  }
} else await pass(160, 1);
const searched = rss();
await new Promise((r) => setTimeout(r, 8000));
const quiet = rss();

// Where the quiet figure goes.
let mapping = '';
const by = { mainArena: 0, anonymous: 0, fileBacked: 0 };
for (const line of readFileSync(`/proc/${server.proc.pid}/smaps`, 'utf8').split('\n')) {
  if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) mapping = line.split(/\s+/).slice(5).join(' ');
  const m = /^Rss:\s+(\d+) kB/.exec(line);
  if (!m) continue;
  if (mapping === '[heap]') by.mainArena += Number(m[1]);
  else if (mapping === '' || mapping.startsWith('[anon')) by.anonymous += Number(m[1]);
  else by.fileBacked += Number(m[1]);
}
const metrics = await (await fetch(`${server.url}/metrics`)).text();
const gauge = (name: string) => Math.round(Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN) / 1048576);
await server.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`| ${root === ROOT ? 'this build' : root} | ${empty} | ${acknowledged} | ${indexed} | ${searched} | ${quiet} | ${gauge('nodejs_heap_size_total_bytes')} / ${gauge('nodejs_heap_size_used_bytes')} | ${gauge('nodejs_external_memory_bytes')} | ${mb(by.mainArena)} | ${mb(by.anonymous)} | ${mb(by.fileBacked)} |`);
