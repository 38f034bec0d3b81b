/**
 * npm run bench:after-load [-- --n 30000] [--rounds 2]
 *
 * What a user sees who loads data and searches at once: n GloVe 100-d vectors inserted over
 * HTTP in batches of 1,000, then, as soon as the last insert is acknowledged, 300 sequential
 * searches (k 10, each system's default search settings). Vectra answers while its graph is
 * still being built in the background; Chroma builds its graph on insert. Each system in its
 * own process (bench/peers/child.ts … after-load), the systems alternating over `rounds`.
 * Prints Markdown: insert rate, QPS and recall@10 of those first searches, p50/p99, memory.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../lib/glove-data.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, rounds: { type: 'string' }, systems: { type: 'string' } } });
const n = Number(values.n ?? 30000);
const rounds = Number(values.rounds ?? 2);
const systems = (values.systems ?? 'vectra-http,chroma-http,engine-http-floor').split(',');

interface Row { name: string; insertSeconds: number; recall: number; qps1: number; p50: number; p99: number; memory: number; unindexedAfter: number | null }
const rows: Row[] = [];
for (let r = 0; r < rounds; r++) {
  for (const system of systems) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/peers/child.ts'), system, String(n), '300', '1', 'after-load'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const line = child.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
    if (child.status !== 0 || !line) throw new Error(`${system} failed (exit ${child.status}):\n${child.stderr.slice(-3000)}`);
    const res = JSON.parse(line);
    const p = res.points[0];
    rows.push({ name: `${res.name}, round ${r + 1}`, insertSeconds: res.insertSeconds, recall: p.recall, qps1: p.qps1, p50: p.p50, p99: p.p99, memory: res.memory, unindexedAfter: res.unindexedAfter ?? null });
    process.stderr.write(`[after-load] ${res.name} round ${r + 1}: ${p.qps1.toFixed(0)} QPS\n`);
  }
}
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`## Searching right after a load — ${fmt(n)} GloVe 100-d vectors, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| system | insert (vectors/s) | QPS, first 300 searches (1 client) | recall@10 | p50 / p99 ms | memory (RSS) after |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${fmt(n / r.insertSeconds)} | ${fmt(r.qps1)} | ${r.recall.toFixed(3)} | ${r.p50.toFixed(2)} / ${r.p99.toFixed(2)} | ${fmt(r.memory / 2 ** 20)} MB |`);
