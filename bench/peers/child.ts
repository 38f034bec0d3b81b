/**
 * One system in its own process (so its memory is its own): load GloVe rows 0..n-1, ingest,
 * then for each knob value: recall@10 against the exact answers, latency at 1 client, QPS at
 * 1 and 8 concurrent clients (median of `runs`). Prints one JSON line.
 * Usage: node --import tsx bench/peers/child.ts <system> <n> <queries> <runs> [after-load]
 * With `after-load`: search once, with default settings, as soon as the inserts are acknowledged
 * (without waiting for a background index build), no warm-up (bench/peers/after-load.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gloveData, groundTruth, queryWords, recallAt, vec } from '../lib/glove-data.js';
import { cpuSecondsOf, diskBytes, SYSTEMS } from './systems.js';

const [name, nArg, qArg, runsArg, mode] = process.argv.slice(2);
const n = Number(nArg);
const K = 10;
const g = gloveData();
const words = queryWords(g, Number(qArg));
const truth = groundTruth(g, n, words, 'cosine', K);
const queries = words.map((w) => vec(g, w));
const adapter = SYSTEMS[name]();
const dir = mkdtempSync(join(tmpdir(), `peers-${name}-`));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Server CPU ms per query over a pass (HTTP systems), from /proc. */
const serverCpu = () => (adapter.serverPid ? cpuSecondsOf(adapter.serverPid()) : null);

async function pass(knob: number | null, clients: number): Promise<{ seconds: number; latencies: number[]; got: number[][]; cpuMs: number | null }> {
  const cpu0 = serverCpu();
  const got: number[][] = new Array(queries.length);
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < queries.length; i = next++) {
        const t = performance.now();
        got[i] = await adapter.search(queries[i], K, knob);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const cpu1 = serverCpu();
  return { seconds: (performance.now() - t0) / 1000, latencies, got, cpuMs: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1000) / queries.length };
}

await adapter.open(dir);
const afterLoad = mode === 'after-load';
const { insertSeconds, buildSeconds } = await adapter.ingest(g.vectors, n, g.dim, { waitForIndex: !afterLoad });
const points = [];
if (afterLoad) {
  const p1 = await pass(null, 1);
  const lat = [...p1.latencies].sort((a, b) => a - b);
  points.push({ knob: null, recall: recallAt(p1.got, truth, K), qps1: queries.length / p1.seconds, qps8: 0, p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)], cpuMs: p1.cpuMs });
}
for (const knob of afterLoad ? [] : (adapter.knob?.values ?? [null])) {
  await pass(knob, 1); // warm-up (and, for Chroma, the ef change)
  const one: number[] = [];
  const eight: number[] = [];
  let lat: number[] = [];
  let recall = 0;
  const cpu: number[] = [];
  for (let r = 0; r < Number(runsArg); r++) {
    const p1 = await pass(knob, 1);
    one.push(queries.length / p1.seconds);
    lat = p1.latencies;
    recall = recallAt(p1.got, truth, K);
    if (p1.cpuMs !== null) cpu.push(p1.cpuMs);
    eight.push(queries.length / (await pass(knob, 8)).seconds);
  }
  lat.sort((a, b) => a - b);
  points.push({ knob, recall, qps1: median(one), qps8: median(eight), p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)], cpuMs: cpu.length > 0 ? median(cpu) : null });
}
const memory = await adapter.memoryBytes();
const disk = diskBytes(dir);
await adapter.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ system: name, name: adapter.name, kind: adapter.kind, configured: adapter.configured, knob: adapter.knob?.name ?? null, n, queries: queries.length, insertSeconds, buildSeconds, memory, disk, points }));
