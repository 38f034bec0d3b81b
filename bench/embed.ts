/**
 * npm run bench:embed
 *
 * The built-in model (glove-100d-v2): sentences/s on one core (the recipe alone, in this
 * thread), through the worker pool (all cores, batches of 1,000, cache off), and the cold
 * start — a fresh data directory, the converted word-vector cache present — from starting
 * the server process to the answer of its first text search. Prints Markdown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbedPool } from '../src/embed/pool.js';
import { BuiltinGloveModel, GloveSource } from '../src/embed/builtin.js';
import { GloveSif } from '../src/embed/sif.js';
import { inMemoryWordVectors } from '../src/embed/word-vectors.js';
import { gloveData, ROOT } from './lib/glove-data.js';
import { sentences as makeSentences } from './lib/sentences.js';
import { poster, serveProcess } from './lib/server.js';

const g = gloveData();
const sentences = makeSentences(60000);

const sif = new GloveSif(inMemoryWordVectors(g), 'glove-100d-v2');
const out = new Float32Array(100);
for (const s of sentences.slice(0, 5000)) sif.embedInto(s, out); // warm-up
let t = performance.now();
for (const s of sentences) sif.embedInto(s, out);
const oneCore = sentences.length / ((performance.now() - t) / 1000);

const pool = new EmbedPool({ cacheBytes: 0 });
const model = new BuiltinGloveModel('glove-100d-v2', new GloveSource(join(ROOT, '.cache'), pool), pool);
await model.warm();
await model.embed(sentences.slice(0, 5000), 'document');
t = performance.now();
for (let i = 0; i < sentences.length; i += 1000) await model.embed(sentences.slice(i, i + 1000), 'document');
const pooled = sentences.length / ((performance.now() - t) / 1000);
await pool.close();

// Cold start of the real server.
const dataDir = mkdtempSync(join(tmpdir(), 'vectra-embed-bench-'));
t = performance.now();
const server = await serveProcess(dataDir);
const listening = performance.now() - t;
const post = poster(server.url);
const { apiKey } = await post('/v1/auth/register', { name: 'bench' });
await post('/v1/collections', { name: 'c' }, apiKey);
await post('/v1/collections/c/records', { records: [{ id: 'a', text: 'Warehouse job paying $15 per hour' }] }, apiKey);
const first = await post('/v1/collections/c/search', { text: 'Hourly wage not less than $13' }, apiKey);
const firstAnswer = performance.now() - t;
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
if (first.results?.[0]?.id !== 'a') throw new Error(`unexpected first answer ${JSON.stringify(first)}`);

console.log(`## Built-in model (\`npm run bench:embed\`)\n`);
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores; 60,000 sentences of 8–20 words\n`);
console.log('| measure | result |\n|---|---|');
console.log(`| glove-100d-v2, one core (recipe alone) | ${Math.round(oneCore).toLocaleString('en-US')} sentences/s |`);
console.log(`| glove-100d-v2 through the worker pool (${pool.threads} workers, batches of 1,000, no cache) | ${Math.round(pooled).toLocaleString('en-US')} sentences/s |`);
console.log(`| cold start: process start → listening | ${(listening / 1000).toFixed(2)} s |`);
console.log(`| cold start: process start → first text search answered (register, create, upsert, search) | ${(firstAnswer / 1000).toFixed(2)} s |`);
