/**
 * npm run bench:realtime [-- --events 2000000 --records 100000 --searches 2000 --sockets 1000]
 *
 * The realtime layer's numbers (issue 19), printed as Markdown:
 * 1. the in-process event bus: events published and handed to subscribers per second (one
 *    subscriber on "record.*"; ten subscribers with mixed patterns);
 * 2. the change feed of a collection loaded with `records` GloVe vectors over HTTP: changes
 *    read per second as JSON pages (10,000 a page) and as a Server-Sent Events stream;
 * 3. one search (k 10, ids) round trip, sequential, over a WebSocket and over HTTP keep-alive,
 *    alternating in two rounds: p50 / p99;
 * 4. `sockets` WebSockets held open, authenticated and subscribed: the server's resident
 *    memory per socket, and how long one write takes to reach all of them;
 * 5. webhooks: `hooks` single-record writes from 8 concurrent clients, each one event POSTed
 *    to a local receiver (node:http answering 204): writes/s, deliveries/s, and the time from
 *    a write's acknowledgement to its delivery's arrival (p50/p99).
 * The server is the built `vectra serve` in its own process (npm start's flags), logging at
 * info as in production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { EventBus } from '../src/realtime/bus.js';
import { gloveData, queryWords, vec } from './lib/glove-data.js';
import { poster, rssBytes, serveProcess, upsertAll } from './lib/server.js';

const { values } = parseArgs({ options: { events: { type: 'string' }, records: { type: 'string' }, searches: { type: 'string' }, sockets: { type: 'string' }, hooks: { type: 'string' } } });
const HOOKS = Number(values.hooks ?? 5000);
const EVENTS = Number(values.events ?? 2_000_000);
const RECORDS = Number(values.records ?? 100_000);
const SEARCHES = Number(values.searches ?? 2000);
const SOCKETS = Number(values.sockets ?? 1000);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

// ---------------------------------------------------------------- 1. the event bus

async function busRate(subscribers: string[][]): Promise<{ published: number; delivered: number }> {
  const bus = new EventBus();
  let delivered = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  // Subscribers whose patterns miss an event type still count it as handled, so that the end is known.
  const types = ['record.upserted', 'record.deleted', 'collection.created'] as const;
  const subs = subscribers.map((patterns) =>
    bus.subscribe('t', patterns, () => {
      if (++delivered === expectedDeliveries) done();
    }, { maxQueue: 1_000_000, overflow: 'skip' }),
  );
  // How many deliveries the patterns make: counted from the types published.
  let expectedDeliveries = 0;
  const counts = types.map(() => 0);
  for (let i = 0; i < EVENTS; i++) counts[i % 3]++;
  for (const patterns of subscribers) types.forEach((t, j) => (expectedDeliveries += patterns.some((p) => p === '*' || p === t || (p.endsWith('.*') && t.startsWith(p.slice(0, -1)))) ? counts[j] : 0));
  const data = { collection: 'c', ids: ['a'], fromSeq: 1, seq: 1 };
  const t0 = performance.now();
  // Publish in slices so that drains interleave, as on a server.
  for (let i = 0; i < EVENTS; ) {
    const end = Math.min(EVENTS, i + 10_000);
    for (; i < end; i++) bus.publish('t', types[i % 3], data);
    await new Promise<void>((r) => setImmediate(r));
  }
  await finished;
  const s = (performance.now() - t0) / 1000;
  subs.forEach((x) => x.close());
  return { published: EVENTS / s, delivered: delivered / s };
}

// ---------------------------------------------------------------- the server parts

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

async function feedPages(url: string, key: string, latest: number): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for (let since = 0; since < latest; ) {
    const res = await fetch(`${url}/v1/collections/g/changes?since=${since}&limit=10000`, { headers: auth(key) });
    const page = (await res.json()) as { changes: unknown[]; nextSince: number };
    n += page.changes.length;
    since = page.nextSince;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function feedStream(url: string, key: string, latest: number): Promise<number> {
  const ctl = new AbortController();
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/collections/g/changes/stream?since=0`, { headers: auth(key), signal: ctl.signal });
  const needle = `id: ${latest}\n`;
  let tail = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-200);
    if (tail.includes(needle)) break;
  }
  const s = (performance.now() - t0) / 1000;
  ctl.abort();
  return latest / s;
}

function openSocket(url: string, key: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`, { headers: auth(key) });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function wsSearches(url: string, key: string, bodies: unknown[]): Promise<number[]> {
  const ws = await openSocket(url, key);
  const times: number[] = [];
  let resolveNext: (() => void) | null = null;
  ws.on('message', () => resolveNext?.());
  for (let i = 0; i < bodies.length; i++) {
    const t0 = performance.now();
    await new Promise<void>((r) => {
      resolveNext = r;
      ws.send(JSON.stringify({ id: i, action: 'search', collection: 'g', body: bodies[i] }));
    });
    times.push(performance.now() - t0);
  }
  ws.close();
  return times;
}

/** One keep-alive connection (node:http, as a Node client would use), one search at a time. */
async function httpSearches(url: string, key: string, bodies: unknown[]): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (const body of bodies) {
    const payload = JSON.stringify(body);
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request(`${url}/v1/collections/g/search`, { method: 'POST', agent, headers: { ...auth(key), 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          JSON.parse(Buffer.concat(chunks).toString());
          resolve();
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
    times.push(performance.now() - t0);
  }
  agent.destroy();
  return times;
}

async function main(): Promise<void> {
  const out: string[] = [];
  const line = (s = '') => {
    out.push(s);
    process.stdout.write(`${s}\n`);
  };
  line(`## bench:realtime (${new Date().toISOString().slice(0, 10)}; events ${f(EVENTS)}, records ${f(RECORDS)}, searches ${f(SEARCHES)}, sockets ${f(SOCKETS)}, hook writes ${f(HOOKS)})`);
  line();
  line('| event bus (in process) | events published/s | deliveries/s |');
  line('|---|---|---|');
  for (const [label, subs] of [
    ['1 subscriber, `record.*`', [['record.*']]],
    ['10 subscribers (`*`, `record.*`, exact types)', [['*'], ['record.*'], ['record.upserted'], ['record.deleted'], ['collection.*'], ['*'], ['record.*'], ['record.upserted', 'collection.created'], ['*'], ['record.deleted']]],
  ] as [string, string[][]][]) {
    const r = await busRate(subs);
    line(`| ${label} | ${f(r.published)} | ${f(r.delivered)} |`);
  }
  line();

  const dir = mkdtempSync(join(tmpdir(), 'vectra-bench-rt-'));
  // The receiver of part 5 is on loopback, which webhooks refuse unless allowed; one key opens
  // every socket and makes every request, past the default limits per key.
  const server = await serveProcess(dir, ['--log-level', 'info'], [], undefined, {
    VECTRA_WEBHOOK_ALLOW_PRIVATE: 'true',
    VECTRA_RATE_LIMIT: '10000000',
    VECTRA_WS_MAX_CONNECTIONS_PER_KEY: String(SOCKETS + 10),
  });
  try {
    const post = poster(server.url);
    const { apiKey: key } = await post('/v1/auth/register', { name: 'bench' });
    await post('/v1/collections', { name: 'g', model: 'none', dimension: 100 }, key);
    const g = gloveData();
    const t0 = performance.now();
    await upsertAll(post, key, 'g', RECORDS, 1000, (i) => ({ id: g.words[i], vector: Array.from(vec(g, i)) }));
    const loadS = (performance.now() - t0) / 1000;
    const latest = RECORDS;
    line(`Loaded ${f(RECORDS)} GloVe vectors over HTTP in batches of 1,000 (${f(RECORDS / loadS)} records/s); the feed then holds ${f(latest)} changes.`);
    line();
    line('| change feed (HTTP, one reader) | changes/s |');
    line('|---|---|');
    line(`| JSON pages of 10,000 (\`GET …/changes\`) | ${f(await feedPages(server.url, key, latest))} |`);
    line(`| Server-Sent Events from seq 0 (\`GET …/changes/stream\`) | ${f(await feedStream(server.url, key, latest))} |`);
    line();

    // Let the background build finish: searches should walk the graph, not the tail.
    for (;;) {
      const c = (await (await fetch(`${server.url}/v1/collections/g`, { headers: auth(key) })).json()) as { unindexed: number };
      if (c.unindexed === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const words = queryWords(g, SEARCHES);
    const bodies = words.map((w) => ({ vector: Array.from(vec(g, w)), k: 10, return: 'id' }));
    await wsSearches(server.url, key, bodies.slice(0, 200));
    await httpSearches(server.url, key, bodies.slice(0, 200));
    const ws: number[] = [];
    const http: number[] = [];
    for (let round = 0; round < 2; round++) {
      const half = bodies.slice(round * (SEARCHES / 2), (round + 1) * (SEARCHES / 2));
      ws.push(...(await wsSearches(server.url, key, half)));
      http.push(...(await httpSearches(server.url, key, half)));
    }
    line(`| one search round trip (k 10, ids; ${f(SEARCHES)} sequential each, alternating) | p50 ms | p99 ms | mean ms |`);
    line('|---|---|---|---|');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    line(`| WebSocket \`/v1/ws\` | ${f(pct(ws, 50), 3)} | ${f(pct(ws, 99), 3)} | ${f(mean(ws), 3)} |`);
    line(`| HTTP keep-alive \`POST …/search\` | ${f(pct(http, 50), 3)} | ${f(pct(http, 99), 3)} | ${f(mean(http), 3)} |`);
    line();

    // Sockets held: the server's RSS before and after, every socket subscribed to "g". The
    // memory given back after the load (native-memory.ts) must have happened first: wait until
    // the RSS holds still.
    const settled = async () => {
      let last = rssBytes(server.proc.pid!);
      for (let i = 0; i < 30; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = rssBytes(server.proc.pid!);
        if (Math.abs(now - last) < 512 * 1024) return now;
        last = now;
      }
      return last;
    };
    const before = await settled();
    const sockets: WebSocket[] = [];
    const got = new Array<number>(SOCKETS).fill(0);
    let t1 = 0;
    for (let i = 0; i < SOCKETS; i++) {
      const s = await openSocket(server.url, key).catch(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return openSocket(server.url, key);
      });
      const idx = i;
      s.on('message', (m) => {
        const msg = JSON.parse(String(m)) as { type?: string };
        if (msg.type === 'change' && got[idx] === 0) got[idx] = performance.now() - t1;
      });
      s.send(JSON.stringify({ id: 1, action: 'subscribe', collection: 'g' }));
      sockets.push(s);
    }
    const after = await settled();
    t1 = performance.now();
    await post('/v1/collections/g/records', { records: [{ id: 'fan-out', vector: Array.from(vec(g, 0)) }] }, key);
    while (got.some((x) => x === 0) && performance.now() - t1 < 30_000) await new Promise((r) => setTimeout(r, 5));
    const reached = got.filter((x) => x > 0);
    line(`| ${f(SOCKETS)} WebSockets held (authenticated, each subscribed) | value |`);
    line('|---|---|');
    line(`| server RSS before → after | ${f(before / 2 ** 20, 1)} → ${f(after / 2 ** 20, 1)} MB |`);
    line(`| resident memory per socket | ${f((after - before) / SOCKETS / 1024, 1)} KB |`);
    line(`| one write reaching every socket: first / p50 / last | ${f(Math.min(...reached), 1)} / ${f(pct(reached, 50), 1)} / ${f(Math.max(...reached), 1)} ms (${f(reached.length)} of ${f(SOCKETS)} reached) |`);
    for (const s of sockets) s.close();
    line();

    // Webhooks: a local receiver, one event per single-record write.
    const arrived = new Map<string, number>();
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const e = JSON.parse(Buffer.concat(chunks).toString()) as { data: { ids: string[] } };
        for (const id of e.data.ids) arrived.set(id, performance.now());
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await post('/v1/collections', { name: 'h', model: 'none', dimension: 3 }, key);
    await post('/v1/webhooks', { url: hookUrl, events: ['record.*'], collections: ['h'] }, key);
    const acked = new Map<string, number>();
    let next = 0;
    const tw = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < HOOKS; i = next++) {
          await post('/v1/collections/h/records', { records: [{ id: `h${i}`, vector: [Math.cos(i), Math.sin(i), 1] }] }, key);
          acked.set(`h${i}`, performance.now());
        }
      }),
    );
    const writeS = (performance.now() - tw) / 1000;
    while (arrived.size < HOOKS && performance.now() - tw < 120_000) await new Promise((r) => setTimeout(r, 10));
    const allS = (Math.max(...arrived.values()) - tw) / 1000;
    const lag = [...acked].filter(([id]) => arrived.has(id)).map(([id, t]) => arrived.get(id)! - t);
    receiver.close();
    line(`| webhooks (${f(HOOKS)} single-record writes, 8 clients, receiver on loopback) | value |`);
    line('|---|---|');
    line(`| writes acknowledged/s | ${f(HOOKS / writeS)} |`);
    line(`| deliveries received/s (first write → last delivery) | ${f(arrived.size / allS)} (${f(arrived.size)} of ${f(HOOKS)}) |`);
    line(`| acknowledgement → delivery: p50 / p99 | ${f(pct(lag, 50), 1)} / ${f(pct(lag, 99), 1)} ms |`);
    line();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
