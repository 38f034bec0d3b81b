/**
 * npm run bench:cluster [-- --seconds 10 --n 20000 --clients 4]
 *
 * The scale-out mode's figures (issue 21), against the built `vectra serve` processes and a
 * real PostgreSQL (Debian's, started here on loopback; its own fsync on), printed as Markdown:
 * 1. write throughput: `clients` writers upserting 100-d vectors in batches of 100 (and of 1)
 *    for `seconds`, into the embedded mode (one process, SQLite) and into one and three nodes
 *    on PostgreSQL (writes spread round-robin over the nodes): records/s acknowledged;
 * 2. replication lag under that load: single-record writes through node 1 while the writers
 *    run; the time from each acknowledgement until node 3 serves the record (polled every ms),
 *    p50/p99 — and node 3's own /metrics histogram of write → applied;
 * 3. search QPS with 1 and 3 nodes: `n` vectors, 8 clients round-robin over the nodes, exact
 *    k 10 searches for `seconds`; QPS and server CPU per search (every node's user + system
 *    time from /proc ÷ searches). On a 2-core machine the nodes share the same 2 cores: read
 *    the CPU per search, not the QPS, to see what more machines would give;
 * 4. placement's forwarding (VECTRA_REPLICAS=1, two nodes): the same searches sent to the
 *    node holding the collection and to the one that forwards them: latency at 1 client, QPS at
 *    8, server CPU per search on each node.
 * `--part writes|lag-search|placement` runs one part (default: all).
 */
import { readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startPostgres } from '../test/support/services.js';
import { tempDir } from '../test/support/tmp.js';
import { serveProcess, type ServerProcess } from './lib/server.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, n: { type: 'string' }, clients: { type: 'string' }, part: { type: 'string' } } });
const PART = values.part ?? 'all';
const runs = (part: string) => PART === 'all' || PART === part;
const SECONDS = Number(values.seconds ?? 10);
const N = Number(values.n ?? 20_000);
const CLIENTS = Number(values.clients ?? 4);
const DIM = 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

let rnd = 12345;
const random = () => ((rnd = (rnd * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const vector = () => Array.from({ length: DIM }, random);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function call(url: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

interface Topology {
  name: string;
  nodes: ServerProcess[];
  key: string;
  stop(): Promise<void>;
}

async function topology(name: string, nodes: number, databaseUrl: string | null, extra: (i: number) => Record<string, string> = () => ({})): Promise<Topology> {
  const dirs = Array.from({ length: nodes }, () => tempDir('vectra-bench-cluster-'));
  const env: Record<string, string> = { VECTRA_RATE_LIMIT: '10000000', ...(databaseUrl ? { VECTRA_DATABASE_URL: databaseUrl } : {}) };
  const procs = await Promise.all(dirs.map((d, i) => serveProcess(d, [], [], undefined, { ...env, ...extra(i) })));
  for (const p of procs) while ((await fetch(`${p.url}/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 50));
  const reg = await fetch(`${procs[0].url}/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `bench-${name}` }) });
  const key = ((await reg.json()) as { apiKey: string }).apiKey;
  return {
    name,
    nodes: procs,
    key,
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

async function ready(t: Topology, collection: string): Promise<void> {
  for (const n of t.nodes) while ((await call(n.url, t.key, 'GET', `/v1/collections/${collection}`)).status !== 200) await new Promise((r) => setTimeout(r, 20));
}

/** `clients` writers for SECONDS, batches of `batch`, round-robin over the nodes: records/s. */
async function writeLoad(t: Topology, collection: string, batch: number, seconds: number): Promise<number> {
  let records = 0;
  let stop = false;
  let next = 0;
  const writer = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const node = t.nodes[(w + i) % t.nodes.length];
      const recs = Array.from({ length: batch }, () => ({ id: `${t.name}-${batch}-${w}-${next++}`, vector: vector() }));
      const r = await call(node.url, t.key, 'POST', `/v1/collections/${collection}/records`, { records: recs });
      if (r.status !== 200) throw new Error(`write: ${r.status} ${JSON.stringify(r.body)}`);
      records += batch;
    }
  };
  const t0 = performance.now();
  const runs = Array.from({ length: CLIENTS }, (_, w) => writer(w));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  await Promise.all(runs);
  return records / ((performance.now() - t0) / 1000);
}

/** Two nodes, VECTRA_REPLICAS=1: searches sent to the holder vs to the node that forwards them. */
async function forwarding(databaseUrl: string): Promise<string[]> {
  const t = await topology('placed', 2, databaseUrl, (i) => ({ VECTRA_REPLICAS: '1', VECTRA_NODE_ID: `bench-n${i + 1}` }));
  const out: string[] = [];
  try {
    // Both nodes see each other before the collection is placed.
    await new Promise((r) => setTimeout(r, 2500));
    await call(t.nodes[0].url, t.key, 'POST', '/v1/collections', { name: 'p', model: 'none', dimension: DIM });
    for (let i = 0; i < N; i += 1000) {
      const r = await call(t.nodes[0].url, t.key, 'POST', '/v1/collections/p/records', { records: Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ id: `p-${i + j}`, vector: vector() })) });
      if (r.status !== 200) throw new Error(`fill: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // Wait until exactly one node holds it, indexed (the creator lets go once the owner has it).
    const holderOf = async () => {
      const held = await Promise.all(t.nodes.map(async (n) => Number(/vectra_cluster_replicas (\d+)/.exec(await (await fetch(`${n.url}/metrics`)).text())?.[1] ?? 0)));
      return held[0] + held[1] === 1 ? held.indexOf(1) : -1;
    };
    let holder = -1;
    while ((holder = await holderOf()) < 0) await new Promise((r) => setTimeout(r, 250));
    const [h, f] = [t.nodes[holder], t.nodes[1 - holder]];
    while (((await call(h.url, t.key, 'GET', '/v1/collections/p')).body.unindexed ?? 1) > 0) await new Promise((r) => setTimeout(r, 200));
    out.push(`\n### Placement: a search forwarded by the node that does not hold the collection (${N.toLocaleString('en-US')} × 100-d, k 10, VECTRA_REPLICAS=1, 2 nodes)\n`);
    out.push('| sent to | p50 / p99 ms (1 client) | searches/s (8 clients) | CPU per search: holder | CPU per search: forwarder |');
    out.push('|---|---:|---:|---:|---:|');
    for (const [label, target] of [['the holder', h], ['the other node (forwarded)', f], ['the holder', h], ['the other node (forwarded)', f]] as const) {
      const lat: number[] = [];
      for (let i = 0; i < 500; i++) {
        const t0 = performance.now();
        const r = await call(target.url, t.key, 'POST', '/v1/collections/p/search', { vector: vector(), k: 10, return: 'id' });
        if (r.status !== 200) throw new Error(`search: ${r.status} ${JSON.stringify(r.body)}`);
        lat.push(performance.now() - t0);
      }
      let done = 0;
      let stop = false;
      const cpu0 = [cpuSeconds(h.proc.pid!), cpuSeconds(f.proc.pid!)];
      const t0 = performance.now();
      const clients = Array.from({ length: 8 }, async () => {
        while (!stop) {
          const r = await call(target.url, t.key, 'POST', '/v1/collections/p/search', { vector: vector(), k: 10, return: 'id' });
          if (r.status !== 200) throw new Error(`search: ${r.status} ${JSON.stringify(r.body)}`);
          done++;
        }
      });
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      stop = true;
      await Promise.all(clients);
      const secs = (performance.now() - t0) / 1000;
      const cpuH = cpuSeconds(h.proc.pid!) - cpu0[0];
      const cpuF = cpuSeconds(f.proc.pid!) - cpu0[1];
      out.push(`| ${label} | ${pct(lat, 50).toFixed(2)} / ${pct(lat, 99).toFixed(2)} | ${Math.round(done / secs).toLocaleString('en-US')} | ${((cpuH / done) * 1000).toFixed(3)} ms | ${((cpuF / done) * 1000).toFixed(3)} ms |`);
      console.error(out[out.length - 1]);
    }
  } finally {
    await t.stop();
  }
  return out;
}

async function main(): Promise<void> {
  const pg = await startPostgres();
  const out: string[] = [];
  try {
    // ------------------------------------------------------------ 1. writes
    if (runs('writes')) {
    out.push(`\n### Writes: ${CLIENTS} clients, ${SECONDS} s each, 100-d vectors\n`);
    out.push('| topology | batch 100: records/s | batch 1: records/s |');
    out.push('|---|---:|---:|');
    const configs: [string, number, string | null][] = [
      ['embedded (one process, SQLite)', 1, null],
      ['1 node on PostgreSQL', 1, pg.url],
      ['3 nodes on PostgreSQL (round-robin)', 3, pg.url],
    ];
    for (const [name, count, url] of configs) {
      const t = await topology(name.split(' ')[0] + count, count, url);
      await call(t.nodes[0].url, t.key, 'POST', '/v1/collections', { name: 'w', model: 'none', dimension: DIM });
      await ready(t, 'w');
      const big = await writeLoad(t, 'w', 100, SECONDS);
      const one = await writeLoad(t, 'w', 1, SECONDS);
      out.push(`| ${name} | ${Math.round(big).toLocaleString('en-US')} | ${Math.round(one).toLocaleString('en-US')} |`);
      console.error(out[out.length - 1]);
      await t.stop();
    }
    }

    // ------------------------------------------------------------ 2. lag, 3. search
    if (runs('lag-search')) {
    const t = await topology('three', 3, pg.url);
    const [n1, n2, n3] = t.nodes;
    await call(n1.url, t.key, 'POST', '/v1/collections', { name: 's', model: 'none', dimension: DIM });
    await ready(t, 's');
    const lags: number[] = [];
    let stopLoad = false;
    const load = (async () => {
      let i = 0;
      while (!stopLoad) {
        const node = t.nodes[i++ % 3];
        await call(node.url, t.key, 'POST', '/v1/collections/s/records', { records: Array.from({ length: 100 }, () => ({ id: `load-${i}-${Math.random()}`, vector: vector() })) });
      }
    })();
    for (let i = 0; i < 200; i++) {
      const id = `probe-${i}`;
      const r = await call(n1.url, t.key, 'POST', '/v1/collections/s/records', { records: [{ id, vector: vector() }] });
      if (r.status !== 200) throw new Error(`probe write: ${r.status}`);
      const acked = performance.now();
      while ((await call(n3.url, t.key, 'GET', `/v1/collections/s/records/${id}`)).status !== 200) await new Promise((res) => setTimeout(res, 1));
      lags.push(performance.now() - acked);
    }
    stopLoad = true;
    await load;
    const metrics = await (await fetch(`${n3.url}/metrics`)).text();
    const bucket = (le: string) => Number(new RegExp(`vectra_cluster_apply_lag_seconds_bucket\\{le="${le}"\\} (\\d+)`).exec(metrics)?.[1] ?? NaN);
    const count = Number(/vectra_cluster_apply_lag_seconds_count (\d+)/.exec(metrics)?.[1] ?? NaN);
    out.push(`\n### Replication lag: node 1 → node 3, 200 single-record probes while a writer loads batches of 100 through all three nodes\n`);
    out.push(`Acknowledged on node 1 → served by node 3 (GET polled every ~1 ms): p50 ${pct(lags, 50).toFixed(1)} ms, p99 ${pct(lags, 99).toFixed(1)} ms, max ${Math.max(...lags).toFixed(1)} ms.`);
    out.push(`Node 3's /metrics (write → applied, ${count} changes): ≤ 10 ms ${((bucket('0.01') / count) * 100).toFixed(1)} %, ≤ 50 ms ${((bucket('0.05') / count) * 100).toFixed(1)} %, ≤ 250 ms ${((bucket('0.25') / count) * 100).toFixed(1)} %, ≤ 1 s ${((bucket('1') / count) * 100).toFixed(1)} %.`);

    // Search: fill to N, then 1 node vs 3 nodes.
    const have = Number((await call(n1.url, t.key, 'GET', '/v1/collections/s')).body.count ?? 0);
    for (let i = have; i < N; i += 1000) {
      await call(n1.url, t.key, 'POST', '/v1/collections/s/records', { records: Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ id: `fill-${i + j}`, vector: vector() })) });
    }
    for (const n of t.nodes) await call(n.url, t.key, 'POST', '/v1/collections/s/search', { vector: vector(), k: 1, consistency: 'strong' });
    // Let background index builds finish on every node.
    for (const n of t.nodes) while (((await call(n.url, t.key, 'GET', '/v1/collections/s')).body.unindexed ?? 0) > 0) await new Promise((r) => setTimeout(r, 200));
    const total = Number((await call(n1.url, t.key, 'GET', '/v1/collections/s')).body.count);
    out.push(`\n### Search: ${total.toLocaleString('en-US')} vectors × 100-d, k 10 (HNSW), 8 clients, ${SECONDS} s\n`);
    out.push('| nodes serving | searches/s | server CPU per search (all nodes) |');
    out.push('|---|---:|---:|');
    for (const serving of [[n1], [n1, n2, n3]]) {
      let done = 0;
      let stop = false;
      const cpu0 = serving.map((n) => cpuSeconds(n.proc.pid!));
      const t0 = performance.now();
      const client = async (c: number) => {
        for (let i = 0; !stop; i++) {
          const n = serving[(c + i) % serving.length];
          const r = await call(n.url, t.key, 'POST', '/v1/collections/s/search', { vector: vector(), k: 10, return: 'id' });
          if (r.status !== 200) throw new Error(`search: ${r.status} ${JSON.stringify(r.body)}`);
          done++;
        }
      };
      const runs = Array.from({ length: 8 }, (_, c) => client(c));
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      stop = true;
      await Promise.all(runs);
      const secs = (performance.now() - t0) / 1000;
      const cpu = serving.reduce((s, n, i) => s + cpuSeconds(n.proc.pid!) - cpu0[i], 0);
      out.push(`| ${serving.length} | ${Math.round(done / secs).toLocaleString('en-US')} | ${((cpu / done) * 1000).toFixed(3)} ms |`);
    }
    await t.stop();
    }

    // ------------------------------------------------------------ 4. placement: forwarding
    if (runs('placement')) out.push(...(await forwarding(pg.url)));
  } finally {
    await pg.stop();
  }
  console.log(out.join('\n'));
  process.exit(0);
}

await main();
