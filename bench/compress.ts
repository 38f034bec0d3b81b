/**
 * npm run bench:compress [-- --quick] [-- --n 100000] [-- --queries 200]
 *
 * The compression toolkit on GloVe 100-d vectors (the first N words): per method, training
 * time, encode and decode throughput (vectors/s, in 16,384-vector chunks as the CLI streams
 * them), then the quality table from `evaluate` — ratio, bytes per vector, mean cosine,
 * recall@10 over the compressed vectors and after rescoring the top 100 with the originals
 * (queries: rows of the file, each left out of its own results). Prints Markdown for
 * docs/benchmarks.md and writes the recall-vs-bytes chart to docs/compression-recall.svg.
 * Not a test: nothing is asserted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCodec, type Method, type PqSettings } from '../src/compress/codec.js';
import { ContainerWriter } from '../src/compress/container.js';
import { evaluate, type EvalReport } from '../src/compress/evaluate.js';
import { DEFAULT_CHUNK_ROWS, DEFAULT_PQ_SAMPLE, DEFAULT_SAMPLE, sampleRows } from '../src/compress/files.js';
import { NpyReader, NpyWriter } from '../src/compress/npy.js';
import { recallChartSvg } from './compress-chart.js';
import { gloveData, ROOT } from './lib/glove-data.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const quick = args.includes('--quick');
const N = arg('--n', quick ? 20000 : 100000);
const Q = arg('--queries', quick ? 50 : 200);

interface Variant {
  name: string;
  method: Method;
  pq?: Partial<PqSettings>;
}

const variants: Variant[] = [
  { name: 'f16', method: 'f16' },
  { name: 'int8 (per vector)', method: 'int8' },
  { name: 'sq8 (per dimension)', method: 'sq8' },
  { name: 'int4 (per dimension)', method: 'int4' },
  { name: 'pq m50×8', method: 'pq', pq: { m: 50, bits: 8 } },
  { name: 'pq m25×8', method: 'pq', pq: { m: 25, bits: 8 } },
  { name: 'pq m25×8 + OPQ', method: 'pq', pq: { m: 25, bits: 8, opq: true } },
  { name: 'pq m20×4', method: 'pq', pq: { m: 20, bits: 4 } },
  { name: 'binary', method: 'binary' },
];

const dir = mkdtempSync(join(tmpdir(), 'vectra-bench-compress-'));
const input = join(dir, 'glove.npy');
const g = gloveData();
const w = new NpyWriter(input, N, g.dim);
w.write(g.vectors.subarray(0, N * g.dim));
w.close();

interface Row {
  v: Variant;
  trainS: number;
  encodePerS: number;
  decodePerS: number;
  r: EvalReport;
}

const rows: Row[] = [];
const reader = new NpyReader(input);
const d = reader.dim;
for (const v of variants) {
  const t0 = performance.now();
  const sample = v.method === 'int8' || v.method === 'f16' ? { vectors: new Float32Array(0), n: 0 } : sampleRows(reader, v.method === 'pq' ? DEFAULT_PQ_SAMPLE : DEFAULT_SAMPLE);
  const codec = trainCodec(v.method, sample.vectors, sample.n, d, { pq: v.pq });
  const trainS = (performance.now() - t0) / 1000;
  const out = join(dir, 'out.vqz');
  const writer = new ContainerWriter(out, codec);
  let encodeMs = 0;
  let decodeMs = 0;
  const decoded = new Float32Array(DEFAULT_CHUNK_ROWS * d);
  for (let start = 0; start < N; start += DEFAULT_CHUNK_ROWS) {
    const n = Math.min(DEFAULT_CHUNK_ROWS, N - start);
    const chunk = reader.read(start, n);
    const records = new Uint8Array(n * codec.recordBytes);
    let t = performance.now();
    codec.encode(chunk, n, records);
    encodeMs += performance.now() - t;
    t = performance.now();
    codec.decode(records, n, decoded);
    decodeMs += performance.now() - t;
    writer.appendRecords(records, n);
  }
  writer.finish();
  const r = evaluate({ orig: input, comp: out, queries: Q, k: 10, rescore: 10 });
  rows.push({ v, trainS, encodePerS: N / (encodeMs / 1000), decodePerS: N / (decodeMs / 1000), r });
  process.stderr.write(`[compress] ${v.name}: train ${trainS.toFixed(1)} s, encode ${Math.round(N / (encodeMs / 1000))}/s, recall ${r.recall.toFixed(3)}\n`);
}
reader.close();
rmSync(dir, { recursive: true, force: true });

const f = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
console.log(`### Compression — GloVe 100-d, ${f(N)} vectors, ${Q} queries, k = 10\n`);
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}; \`npm run bench:compress${args.length ? ` -- ${args.join(' ')}` : ''}\`\n`);
console.log('| method | bytes/vector | ratio (files) | train s | encode vectors/s | decode vectors/s | mean cosine | recall@10 | recall@10, top 100 rescored |');
console.log('|---|---|---|---|---|---|---|---|---|');
console.log(`| f32 (original) | ${d * 4} | 1.00 | — | — | — | 1.0000 | 1.000 | 1.000 |`);
for (const { v, trainS, encodePerS, decodePerS, r } of rows) {
  const search = r.search === 'hamming' ? ' (Hamming)' : '';
  console.log(`| ${v.name} | ${r.bytesPerVector.compressed} | ${f(r.ratio, 2)} | ${trainS < 0.05 ? '—' : f(trainS, 1)} | ${f(encodePerS)} | ${f(decodePerS)} | ${r.meanCosine.toFixed(4)} | ${r.recall.toFixed(3)}${search} | ${r.recallRescored.toFixed(3)} |`);
  if (r.signDot) console.log(`| binary, candidates by query · sign(x) (as the database) | ${r.bytesPerVector.compressed} | | | | | | ${r.signDot.recall.toFixed(3)} | ${r.signDot.recallRescored.toFixed(3)} |`);
}

const points = rows.flatMap(({ v, r }) => [
  { name: r.search === 'hamming' ? `${v.name} (Hamming)` : v.name, bytes: r.bytesPerVector.compressed, recall: r.recall, rescored: r.recallRescored },
  ...(r.signDot ? [{ name: 'binary (query · sign)', bytes: r.bytesPerVector.compressed, recall: r.signDot.recall, rescored: r.signDot.recallRescored }] : []),
]);
if (!quick) {
  writeFileSync(join(ROOT, 'docs/compression-recall.svg'), recallChartSvg(points, `Recall@10 vs bytes per vector — GloVe 100-d, ${f(N)} vectors`));
  process.stderr.write('[compress] wrote docs/compression-recall.svg\n');
}
