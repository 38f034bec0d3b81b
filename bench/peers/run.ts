/**
 * npm run bench:peers [-- --quick] [--sizes 100000,300000] [--systems a,b] [--no-write]
 *
 * Vectra and the systems a user would pick instead, on the same GloVe 100-d data, on this
 * machine, in one run: each system in its own process (child.ts), one after another.
 * Writes the results table into docs/benchmarks.md (between the peers markers) and a
 * recall-vs-QPS chart per size to docs/peers-<n>.png, unless --quick (CI: proves the
 * harness works on a small set; timings are not asserted) or --no-write.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../lib/glove-data.js';
import { renderChart } from './chart.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, sizes: { type: 'string' }, systems: { type: 'string' }, 'no-write': { type: 'boolean' } } });
const quick = values.quick ?? false;
const sizes = (values.sizes ?? (quick ? '5000' : '100000,300000')).split(',').map(Number);
const ANN = ['vectra-http', 'chroma-http', 'vectra-engine', 'engine-http-floor', 'usearch-raw', 'lancedb'];
const EXACT = ['orama', 'npm-vectra'];
const chosen = values.systems ? values.systems.split(',') : [...ANN, ...EXACT];

/** `cpuMs`: the server process's CPU time per search at 1 client (HTTP systems; null for embedded ones). */
interface Point { knob: number | null; recall: number; qps1: number; qps8: number; p50: number; p99: number; cpuMs: number | null }
interface Result { system: string; name: string; kind: string; configured: string; knob: string | null; n: number; queries: number; insertSeconds: number; buildSeconds: number; memory: number; disk: number; points: Point[] }

/**
 * Brute-force peers get fewer queries (each is a full scan) and are left out above 100k (minutes
 * per point, and npm vectra's JSON file outgrows V8's string limit). Raw usearch is the ceiling
 * at 100k only: its 300k build alone takes ~2.5 min and the engine's overhead does not grow with n;
 * so is the bare-HTTP floor (2 more minutes at 300k: the 2026-12-03 run took 21.1 min with it).
 * This keeps the whole run near 20 minutes on 2 cores.
 */
function plan(system: string, n: number): { queries: number; runs: number } | null {
  if (quick) return { queries: 50, runs: 1 };
  if ((system === 'usearch-raw' || system === 'engine-http-floor') && n > 100_000 && !values.systems) return null;
  if (EXACT.includes(system)) return n > 100_000 ? null : { queries: 100, runs: 1 };
  return n > 100_000 ? { queries: 200, runs: 1 } : { queries: 300, runs: 3 };
}

/**
 * Searching right after the load: each system's first 300 searches (default settings, 1
 * client) as soon as its last insert is acknowledged, at 30k and 100k (exact systems at 30k).
 */
const AFTER_LOAD_SIZES = quick ? [5000] : [30000, 100000];
/**
 * The HTTP floor indexes on insert, so right after its load it has no tail and no build: its row
 * is what a Node server over this engine answers then at best, through the same (cold) client —
 * the ceiling to read Vectra's after-load figure against.
 */
const afterLoadPlan = (system: string, n: number) => (EXACT.includes(system) && n > 30000 ? null : { queries: quick ? 50 : 300, runs: 1 });

function runChild(system: string, n: number, p: { queries: number; runs: number }, mode?: 'after-load'): Result {
  const t = performance.now();
  process.stderr.write(`[peers] ${system} at ${n.toLocaleString('en-US')}${mode ? ` (${mode})` : ''} … `);
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/peers/child.ts'), system, String(n), String(p.queries), String(p.runs), ...(mode ? [mode] : [])], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = child.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (child.status !== 0 || !line) throw new Error(`${system} at ${n} failed (exit ${child.status}):\n${child.stderr.slice(-3000)}`);
  process.stderr.write(`${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  return JSON.parse(line) as Result;
}

const results: Result[] = [];
const afterLoad: Result[] = [];
const started = performance.now();
for (const n of AFTER_LOAD_SIZES) {
  for (const system of chosen) {
    const p = afterLoadPlan(system, n);
    if (p) afterLoad.push(runChild(system, n, p, 'after-load'));
  }
}
for (const n of sizes) {
  for (const system of chosen) {
    const p = plan(system, n);
    if (!p) continue;
    results.push(runChild(system, n, p));
  }
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (b: number) => `${fmt(b / 2 ** 20)} MB`;

/** The point of each system closest to (at or above) a recall target, for the comparison table. */
function at(r: Result, target: number): Point {
  const ok = r.points.filter((p) => p.recall >= target);
  return ok.length > 0 ? ok.reduce((a, b) => (b.qps1 > a.qps1 ? b : a)) : r.points.reduce((a, b) => (b.recall > a.recall ? b : a));
}

const lines: string[] = [];
lines.push(`## Peers (\`npm run bench:peers\`)\n`);
lines.push(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'cpu'}); GloVe 100-d word vectors (the first n words), held-out query words, k = 10, cosine; exact ground truth by a flat scan (cached). Each system runs in its own process, one after another; QPS at 1 client is sequential requests, at 8 clients 8 concurrent callers in the measuring process (embedded systems that are synchronous cannot use them); medians of 3 runs at 100k (1 run at 300k). Whole run: ${fmt((performance.now() - started) / 60000, 1)} min.\n`);
const cpu = (p: Point) => (p.cpuMs === null || p.cpuMs === undefined ? '—' : p.cpuMs.toFixed(2));
if (afterLoad.length > 0) {
  lines.push('### Searching right after the load\n');
  lines.push('Each system loads n vectors and, as soon as the last insert is acknowledged, answers 300 sequential searches (k 10) with its default search settings: Vectra while its graph is still being built in the background (the waiting records scanned exactly), the others from what they built on insert (LanceDB: no index yet, a flat scan). Server CPU per search from /proc (HTTP systems).\n');
  lines.push('| system | n | insert (vectors/s) | QPS, first 300 searches (1 client) | recall@10 | p50 / p99 ms | server CPU ms/search | memory (RSS) after |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const r of afterLoad) {
    const p = r.points[0];
    lines.push(`| ${r.name} | ${fmt(r.n)} | ${fmt(r.n / r.insertSeconds)} | ${fmt(p.qps1)} | ${p.recall.toFixed(3)} | ${p.p50.toFixed(2)} / ${p.p99.toFixed(2)} | ${cpu(p)} | ${mb(r.memory)} |`);
  }
  lines.push('');
}
for (const n of sizes) {
  const rs = results.filter((r) => r.n === n);
  if (rs.length === 0) continue;
  lines.push(`### ${fmt(n)} vectors\n`);
  lines.push('| system | ingest (vectors/s) | index build | until indexed (vectors/s) | memory (RSS) | disk | recall@10 | QPS 1 client | QPS 8 clients | p50 / p99 ms (1 client) | server CPU ms/search |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rs) {
    const p = at(r, 0.95);
    const knob = r.knob ? ` (${r.knob} ${p.knob})` : ' (exact)';
    lines.push(`| ${r.name} | ${fmt(n / r.insertSeconds)} | ${r.buildSeconds > 0 ? `${fmt(r.buildSeconds, 1)} s` : 'on insert'} | ${fmt(n / (r.insertSeconds + r.buildSeconds))} | ${mb(r.memory)} | ${mb(r.disk)} | ${p.recall.toFixed(3)}${knob} | ${fmt(p.qps1)} | ${fmt(p.qps8)} | ${p.p50.toFixed(2)} / ${p.p99.toFixed(2)} | ${cpu(p)} |`);
  }
  lines.push(`\nEach ANN row is the fastest sweep point with recall@10 ≥ 0.95 (the highest-recall point if none reaches it). Full sweeps (recall, QPS at 1 and 8 clients, server CPU per search at 1 client):\n`);
  lines.push('| system | knob | recall@10 | QPS 1 | QPS 8 | p50 ms | p99 ms | server CPU ms/search |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const r of rs) for (const p of r.points) lines.push(`| ${r.name} | ${r.knob ? `${r.knob} ${p.knob}` : 'exact'} | ${p.recall.toFixed(3)} | ${fmt(p.qps1)} | ${fmt(p.qps8)} | ${p.p50.toFixed(2)} | ${p.p99.toFixed(2)} | ${cpu(p)} |`);
  lines.push(`\n![recall@10 vs QPS at ${fmt(n)} vectors](peers-${n}.png)\n`);
  if (!quick && !values['no-write']) writeFileSync(join(ROOT, 'docs', `peers-${n}.png`), renderChart(rs, `recall@10 vs queries/s (1 client), ${fmt(n)} GloVe 100-d vectors`));
}
lines.push('What each system was configured with:\n');
for (const r of results.filter((x, i, a) => a.findIndex((y) => y.system === x.system) === i)) lines.push(`- **${r.name}**: ${r.configured}`);
const markdown = lines.join('\n');
console.log(markdown);

if (!quick && !values['no-write']) {
  const path = join(ROOT, 'docs', 'benchmarks.md');
  const doc = readFileSync(path, 'utf8');
  const START = '<!-- peers:start -->';
  const END = '<!-- peers:end -->';
  const block = `${START}\n${markdown}\n${END}`;
  writeFileSync(path, doc.includes(START) ? doc.replace(new RegExp(`${START}[\\s\\S]*${END}`), () => block) : `${doc.trimEnd()}\n\n${block}\n`);
  process.stderr.write('[peers] wrote docs/benchmarks.md and the charts\n');
}
