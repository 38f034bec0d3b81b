/**
 * npm run bench:rag [-- --queries 300 --timed 50 --pages 200 --limit 0]
 *
 * The chat's numbers (issue 20), printed as Markdown, against the built `vectra serve` in its
 * own process (npm start's flags, logging at info as in production), built-in model, no LLM:
 * 1. ingestion: every WordNet 3.0 sense (~117k, "lemmas: definition") upserted as a chunk
 *    over HTTP, 1,000 a request (embedded, stored, indexed): chunks/s; and a PDF of `pages`
 *    pages of WordNet glosses uploaded as a document: pages/s and chunks/s (end to end:
 *    multipart, parsing, chunking, embedding, storing);
 * 2. the extractive generator over that ~117k-chunk collection: time to the first `delta`
 *    and to `done` of a streamed POST /v1/chat, p50/p95 over `timed` questions, cache off;
 * 3. the semantic cache: the same questions asked again (a hit), p50/p95;
 * 4. grounding quality on a labelled set built from WordNet: the question "What does <word>
 *    mean in: <example>?" for `queries` senses with an example sentence (seeded draw); the
 *    chunk holding the answer is that sense. Recall@1/5/10 and MRR@10 of the retrieval chat
 *    runs (the question searched in the collection, as chat searches it: hybrid, dense,
 *    keyword), and how often the extractive answer (k 5) cites that chunk. Word overlap is
 *    not enough: every other sense of the same word is in the collection too.
 * `--limit N` ingests only the first N senses plus the labelled ones (a quick run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createParser } from 'eventsource-parser';
import { readWordnet, senseText, type Synset } from '../src/embed/wordnet.js';
import { mulberry32 } from '../src/random.js';
import { pdfFile } from '../test/support/document-files.js';
import { poster, serveProcess, upsertAll, waitIndexed } from './lib/server.js';

const { values } = parseArgs({ options: { queries: { type: 'string' }, timed: { type: 'string' }, pages: { type: 'string' }, limit: { type: 'string' }, wordnet: { type: 'string' } } });
const QUERIES = Number(values.queries ?? 300);
const TIMED = Number(values.timed ?? 50);
const PAGES = Number(values.pages ?? 200);
const LIMIT = Number(values.limit ?? 0);
const WORDNET = values.wordnet ?? process.env.VECTRA_WORDNET_DIR ?? '/usr/share/wordnet';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const all = readWordnet(WORDNET);
// The labelled set: senses with an example of four words or more, one of whose lemmas the example holds.
const rnd = mulberry32(20);
const eligible = all.filter((s) => s.examples.some((e) => e.split(/\s+/).length >= 4 && s.lemmas.some((l) => e.toLowerCase().includes(l.toLowerCase().replaceAll('_', ' ')))));
for (let i = 0; i < QUERIES; i++) {
  const j = i + Math.floor(rnd() * (eligible.length - i));
  [eligible[i], eligible[j]] = [eligible[j], eligible[i]];
}
const labelled = eligible.slice(0, QUERIES).map((s) => {
  const example = s.examples.find((e) => e.split(/\s+/).length >= 4 && s.lemmas.some((l) => e.toLowerCase().includes(l.toLowerCase().replaceAll('_', ' '))))!;
  const word = s.lemmas.find((l) => example.toLowerCase().includes(l.toLowerCase().replaceAll('_', ' ')))!.replaceAll('_', ' ');
  return { id: s.id, question: `What does "${word}" mean in: ${example}?` };
});
const wanted = new Set(labelled.map((q) => q.id));
const corpus: Synset[] = LIMIT > 0 ? [...all.slice(0, LIMIT), ...all.slice(LIMIT).filter((s) => wanted.has(s.id))] : all;
// Chunks are senses only: the examples are the questions, so they are not in the collection.
const chunk = (s: Synset) => ({ id: s.id, text: senseText(s).replaceAll('_', ' '), metadata: { title: s.lemmas[0].replaceAll('_', ' ') } });

const dataDir = mkdtempSync(join(tmpdir(), 'vectra-bench-rag-'));
const server = await serveProcess(dataDir, [], [], undefined, { VECTRA_RATE_LIMIT: "10000000" });
const post = poster(server.url);
try {
  const { apiKey: key } = await post('/v1/auth/register', { name: 'bench-rag' });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  await post('/v1/collections', { name: 'wordnet' }, key);

  // ------------------------------------------------------------ 1. ingestion
  let t0 = performance.now();
  await upsertAll(post, key, 'wordnet', corpus.length, 1000, (i) => chunk(corpus[i]));
  const upsertSeconds = (performance.now() - t0) / 1000;
  await waitIndexed(server.url, key, 'wordnet');
  const indexedSeconds = (performance.now() - t0) / 1000;

  await post('/v1/collections', { name: 'pdf' }, key);
  const pages = Array.from({ length: PAGES }, (_, p) =>
    Array.from({ length: 12 }, (_, l) => {
      const s = all[(p * 12 + l) * 7 % all.length];
      return senseText(s).replaceAll('_', ' ').slice(0, 90);
    }).join('\n'),
  );
  const pdf = pdfFile(pages);
  const form = new FormData();
  form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'glosses.pdf');
  t0 = performance.now();
  const up = await fetch(`${server.url}/v1/collections/pdf/documents/upload`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  let uploaded = (await up.json()) as { chunks?: number; job?: { id: string } };
  if (up.status === 202 && uploaded.job) {
    for (;;) {
      const j = (await (await fetch(`${server.url}/v1/jobs/${uploaded.job.id}`, { headers })).json()) as { status: string; result?: { chunks: number }; error?: unknown };
      if (j.status === 'done' || j.status === 'completed') {
        uploaded = { chunks: j.result?.chunks };
        break;
      }
      if (j.status === 'failed') throw new Error(`upload job failed: ${JSON.stringify(j.error)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } else if (up.status >= 300) throw new Error(`upload: ${up.status} ${JSON.stringify(uploaded)}`);
  const pdfSeconds = (performance.now() - t0) / 1000;

  console.log(`\n### Ingestion\n`);
  console.log('| what | amount | time | rate |');
  console.log('|---|---|---|---|');
  console.log(`| WordNet senses as chunks, POST …/records, 1,000 a request (embedded, stored) | ${f(corpus.length)} chunks | ${f(upsertSeconds, 1)} s | ${f(corpus.length / upsertSeconds)} chunks/s |`);
  console.log(`| … and indexed (HNSW caught up) | | ${f(indexedSeconds, 1)} s | ${f(corpus.length / indexedSeconds)} chunks/s |`);
  console.log(`| a ${PAGES}-page PDF (${f(pdf.length / 1024)} KiB), POST …/documents/upload | ${uploaded.chunks} chunks | ${f(pdfSeconds, 2)} s | ${f(PAGES / pdfSeconds)} pages/s, ${f((uploaded.chunks ?? 0) / pdfSeconds)} chunks/s |`);

  // ------------------------------------------------------------ 2–3. latency, cache
  async function streamed(question: string, cache: boolean): Promise<{ first: number; total: number; cached: boolean; citations: string[] }> {
    const start = performance.now();
    const res = await fetch(`${server.url}/v1/chat`, { method: 'POST', headers, body: JSON.stringify({ collection: 'wordnet', stream: true, cache, messages: [{ role: 'user', content: question }] }) });
    let first = 0;
    let done: { cached: boolean; citations: { id: string }[] } | null = null;
    const parser = createParser({
      onEvent: (e) => {
        if (e.event === 'delta' && first === 0) first = performance.now() - start;
        if (e.event === 'done') done = JSON.parse(e.data);
      },
    });
    const decoder = new TextDecoder();
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(c, { stream: true }));
    const d = done as { cached: boolean; citations: { id: string }[] } | null;
    if (!d) throw new Error(`no done event for ${question}`);
    return { first, total: performance.now() - start, cached: d.cached, citations: d.citations.map((c) => c.id) };
  }
  const timed = labelled.slice(0, TIMED);
  for (const q of timed.slice(0, 5)) await streamed(q.question, false); // warm-up
  const fresh = [];
  for (const q of timed) fresh.push(await streamed(q.question, true));
  const again = [];
  for (const q of timed) again.push(await streamed(q.question, true));
  const hits = again.filter((a) => a.cached).length;
  console.log(`\n### Chat latency over ${f(corpus.length)} chunks (extractive, streamed, k 5)\n`);
  console.log('| | first delta p50 | p95 | whole answer p50 | p95 |');
  console.log('|---|---|---|---|---|');
  console.log(`| a new question (${timed.length}) | ${f(pct(fresh.map((x) => x.first), 50), 1)} ms | ${f(pct(fresh.map((x) => x.first), 95), 1)} ms | ${f(pct(fresh.map((x) => x.total), 50), 1)} ms | ${f(pct(fresh.map((x) => x.total), 95), 1)} ms |`);
  console.log(`| the same again: semantic cache (${hits}/${timed.length} hits) | ${f(pct(again.map((x) => x.first), 50), 1)} ms | ${f(pct(again.map((x) => x.first), 95), 1)} ms | ${f(pct(again.map((x) => x.total), 50), 1)} ms | ${f(pct(again.map((x) => x.total), 95), 1)} ms |`);

  // ------------------------------------------------------------ 4. grounding quality
  console.log(`\n### Grounding quality: ${labelled.length} WordNet questions ("What does <word> mean in: <example>?"), the chunk holding the answer = its sense\n`);
  console.log('| retrieval | recall@1 | recall@5 | recall@10 | MRR@10 |');
  console.log('|---|---|---|---|---|');
  for (const mode of ['hybrid', 'dense', 'keyword'] as const) {
    let r1 = 0;
    let r5 = 0;
    let r10 = 0;
    let mrr = 0;
    for (const q of labelled) {
      const r = (await post('/v1/collections/wordnet/search', { text: q.question, k: 10, mode, return: 'id' }, key)) as { results: { id: string }[] };
      const rank = r.results.findIndex((h) => h.id === q.id);
      if (rank === 0) r1++;
      if (rank >= 0 && rank < 5) r5++;
      if (rank >= 0) (r10++, (mrr += 1 / (rank + 1)));
    }
    const n = labelled.length;
    console.log(`| ${mode}${mode === 'hybrid' ? ' (chat\'s default)' : ''} | ${f(r1 / n, 3)} | ${f(r5 / n, 3)} | ${f(r10 / n, 3)} | ${f(mrr / n, 3)} |`);
  }
  let cites = 0;
  let grounded = 0;
  for (const q of labelled) {
    const a = await streamed(q.question, false);
    if (a.citations.length > 0) grounded++;
    if (a.citations.includes(q.id)) cites++;
  }
  console.log(`\nExtractive answers (k 5): ${f(grounded / labelled.length, 3)} answered from the sources, ${f(cites / labelled.length, 3)} cite the chunk holding the answer.`);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
