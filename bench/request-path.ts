/**
 * npm run bench:request-path [-- --builds before=/path/to/other/dist/cli/main.js,after=dist/cli/main.js] [--rounds 2]
 *
 * What one request costs beyond the search itself. Each build of `vectra serve` (its own
 * process, logging at info as in production) gets a small collection (2,000 GloVe 100-d
 * vectors, model "none", in the graph) so that the graph walk is a small part; then, with
 * autocannon at 1 connection, k 10, return id: searches with the vector as JSON numbers and
 * as base64 float32; and batch upserts of 1,000 vectors as numbers and as base64. The floor:
 * a bare node:http server (its own process) that reads and JSON-parses the same search body
 * and answers ten ids. Builds alternate over `rounds`. Prints Markdown.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { spawnServer } from '../test/support/spawn-server.js';
import { gloveData, queryWords, ROOT, vec } from './lib/glove-data.js';
import { poster, waitIndexed } from './lib/server.js';

const { values } = parseArgs({ options: { builds: { type: 'string' }, rounds: { type: 'string' }, duration: { type: 'string' } } });
const builds = (values.builds ?? `this=${join(ROOT, 'dist/cli/main.js')}`).split(',').map((b) => {
  const [label, path] = b.split('=');
  return { label, cli: resolve(path) };
});
const rounds = Number(values.rounds ?? 2);
const duration = Number(values.duration ?? 8);
const g = gloveData();
const N = 2000;
const words = queryWords(g, 500);
const b64 = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
const asNumbers = words.map((w) => JSON.stringify({ vector: Array.from(vec(g, w)), k: 10, return: 'id' }));
const asBase64 = words.map((w) => JSON.stringify({ vector: b64(vec(g, w)), k: 10, return: 'id' }));

async function drive(url: string, path: string, bodies: string[], key?: string) {
  let i = 0;
  const r = await autocannon({
    url: url + path,
    connections: 1,
    duration,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    requests: [{ setupRequest: (req: any) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  return { rps: r.requests.average, mean: r.latency.average, p99: r.latency.p99, bad: r.non2xx + r.errors };
}

/** New records (ids with `prefix`), 20 sequential batches of 1,000. */
async function upsertRate(post: ReturnType<typeof poster>, key: string, prefix: string, encode: (v: Float32Array) => unknown): Promise<number> {
  const batches = 20;
  const bodies = Array.from({ length: batches }, (_, b) => ({ records: Array.from({ length: 1000 }, (_, j) => ({ id: `${prefix}${b * 1000 + j}`, vector: encode(vec(g, 10000 + ((b * 1000 + j) % 50000))) })) }));
  const t = performance.now();
  for (const body of bodies) await post('/v1/collections/u/records', body, key);
  return (batches * 1000) / ((performance.now() - t) / 1000);
}

const BARE = `
const http = require('node:http');
const ids = JSON.stringify({ results: Array.from({ length: 10 }, (_, i) => ({ id: String(i), score: 0.5 })) });
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => { JSON.parse(Buffer.concat(chunks).toString()); res.writeHead(200, { 'content-type': 'application/json' }); res.end(ids); });
}).listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });`;

interface Row { label: string; round: number; search: Awaited<ReturnType<typeof drive>>; search64: Awaited<ReturnType<typeof drive>> | null; upsert: number; upsert64: number | null }
const rows: Row[] = [];
const floor: Awaited<ReturnType<typeof drive>>[] = [];
for (let round = 1; round <= rounds; round++) {
  const bare = spawn(process.execPath, ['-e', BARE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bareUrl = await new Promise<string>((res) => bare.stdout.on('data', (d: Buffer) => res(/listening on (\S+)/.exec(d.toString())![1])));
  floor.push(await drive(bareUrl, '/', asNumbers));
  bare.kill();
  for (const b of builds) {
    const dir = mkdtempSync(join(tmpdir(), 'vectra-request-path-'));
    const server = await spawnServer({ cli: b.cli, dataDir: dir, modelCache: join(ROOT, '.cache'), args: ['--rate-limit', '10000000'], env: { VECTRA_LOG_LEVEL: 'info' } });
    const post = poster(server.url);
    const { apiKey } = await post('/v1/auth/register', { name: 'bench' });
    await post('/v1/collections', { name: 'g', model: 'none', dimension: 100 }, apiKey);
    await post('/v1/collections', { name: 'u', model: 'none', dimension: 100 }, apiKey);
    for (let s = 0; s < N; s += 1000) await post('/v1/collections/g/records', { records: Array.from({ length: 1000 }, (_, j) => ({ id: String(s + j), vector: Array.from(vec(g, s + j)) })) }, apiKey);
    await waitIndexed(server.url, apiKey, 'g');
    await drive(server.url, '/v1/collections/g/search', asNumbers, apiKey); // warm-up
    const search = await drive(server.url, '/v1/collections/g/search', asNumbers, apiKey);
    const probe = await fetch(`${server.url}/v1/collections/g/search`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }, body: asBase64[0] });
    const takes64 = probe.status === 200;
    const search64 = takes64 ? await drive(server.url, '/v1/collections/g/search', asBase64, apiKey) : null;
    const upsert = await upsertRate(post, apiKey, 'n', (v) => Array.from(v));
    const upsert64 = takes64 ? await upsertRate(post, apiKey, 'b', b64) : null;
    rows.push({ label: b.label, round, search, search64, upsert, upsert64 });
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`[request-path] ${b.label} round ${round}: ${search.rps.toFixed(0)} searches/s\n`);
  }
}
const f = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`## Request path — ${N.toLocaleString('en-US')} GloVe 100-d vectors, 1 connection, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log(`Floor, a bare node:http server parsing the same body: ${floor.map((r) => `${f(r.rps)} requests/s (${(1e6 / r.rps).toFixed(0)} µs each)`).join('; ')}.\n`);
console.log('| build | round | searches/s, numbers | µs each | searches/s, base64 | µs each | upsert vectors/s, numbers | upsert vectors/s, base64 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.round} | ${f(r.search.rps)} | ${(1e6 / r.search.rps).toFixed(0)} | ${r.search64 ? f(r.search64.rps) : '—'} | ${r.search64 ? (1e6 / r.search64.rps).toFixed(0) : '—'} | ${f(r.upsert)} | ${r.upsert64 === null ? '—' : f(r.upsert64)} |`);
}
