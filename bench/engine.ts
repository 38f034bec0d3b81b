/**
 * npm run bench:engine [-- --quick] [-- --sizes 100000,300000] [-- --systems engine-pq,engine-binary]
 *
 * The engine (HNSW f32 / f16 / i8, binary and PQ scans, and exact) against the raw usearch library it wraps, on
 * GloVe 100-d, cosine, each cell in its own process. Prints a Markdown table for
 * docs/benchmarks.md. Not a test: nothing is asserted.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gloveData, groundTruth, queryWords } from './lib/glove-data.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const sizesArg = args.indexOf('--sizes');
const sizes = sizesArg >= 0 ? args[sizesArg + 1].split(',').map(Number) : quick ? [20000] : [100000, 300000];
const efs = quick ? [64, 200] : [32, 64, 128, 200, 256, 400];
const queries = quick ? 200 : 1000;
const systemsArg = args.indexOf('--systems');
const systems = systemsArg >= 0 ? args[systemsArg + 1].split(',') : ['raw-usearch', 'engine-f32', 'engine-f16', 'engine-i8', 'engine-binary', 'engine-pq', 'engine-exact'];
/** Scans of codes take max(ef, 50·k) candidates to rescore: ef below 500 changes nothing. */
const scanEfs = quick ? [10, 1000] : [10, 1000, 2000];
const runner = fileURLToPath(new URL('./engine-run.ts', import.meta.url));

// Ground truth once, before timing anything.
const g = gloveData();
for (const n of sizes) {
  groundTruth(g, n, queryWords(g, queries), 'cosine', 10);
  groundTruth(g, n, queryWords(g, 100), 'cosine', 10);
}

interface Run { ef: number; qps: number; recall: number; p50: number; p99: number }
interface Cell { system: string; n: number; build: number; snapshot?: number; rssMB: number; diskMB: number; reopen: number; runs: Run[]; sameGraph?: Run[] }

const f = (x: number, d = 0) => x.toFixed(d);
console.log(`## Engine vs raw usearch — GloVe 100-d, cosine, M=16 efC=200, ${queries} held-out queries, k=10, one client\n`);
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
for (const n of sizes) {
  const cells: Cell[] = [];
  for (const s of systems) {
    const q = s === 'engine-exact' ? 100 : queries;
    const e = s === 'engine-exact' ? [10] : s === 'engine-binary' || s === 'engine-pq' ? scanEfs : efs;
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', runner, s, String(n), e.join(','), String(q)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const cell = JSON.parse(out.trim().split('\n').pop()!) as Cell;
    cells.push(cell);
    process.stderr.write(`${s} ${n}: build ${f(cell.build, 1)} s\n`);
  }
  console.log(`### ${n.toLocaleString('en')} vectors\n`);
  console.log('| system | build s | vectors/s | memory MB (RSS Δ) | disk MB | reopen s |');
  console.log('|---|---|---|---|---|---|');
  for (const c of cells) console.log(`| ${c.system} | ${f(c.build, 1)} | ${f(n / c.build)} | ${f(c.rssMB)} | ${f(c.diskMB)} | ${f(c.reopen, 2)} |`);
  console.log('\n"raw, same graph" calls usearch directly on the engine\'s own graph, interleaved with the engine\'s');
  console.log('passes (median of 5): the ratio is the engine\'s overhead on identical work. f16/i8 rescore k/2×k');
  console.log('candidates with full-precision vectors read from SQLite; the raw call does not.\n');
  console.log('| system | ef | recall@10 | QPS | p50 ms | p99 ms | raw, same graph: QPS | engine / raw |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    c.runs.forEach((r, i) => {
      const same = c.sameGraph?.[i];
      const tail = same ? `${f(same.qps)} | ${f((100 * r.qps) / same.qps)}%` : ' | ';
      console.log(`| ${c.system} | ${c.system === 'engine-exact' ? 'exact' : r.ef} | ${f(r.recall, 3)} | ${f(r.qps)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${tail} |`);
    });
  }
  console.log('');
}
