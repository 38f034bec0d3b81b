/**
 * npm run bench:feedback [-- --queries 300 --users 8 --seed 5]
 *
 * Feedback reranking (issue 23) on a simulated click log, against the built `vectra serve` in
 * its own process with the built-in model. The task is WordNet's (as the model benchmark's):
 * the query is an example sentence of a word sense, the corpus holds every sense of the
 * queries' words (the hard negatives) plus 5,000 others, the right answer is the sense.
 * Senses with two usable examples are drawn: users search the first ("seen" queries, repeated
 * by `users` users); the second is held out ("similar" queries, never searched during the log).
 *
 * The users (a cascade click model): each searches (k 10, rerank feedback — later users see
 * what earlier ones did), reads from the top, and at the right sense clicks it with
 * probability 0.9 (dwells 40 s), skipping the results read above it with probability 0.5; a
 * wrong result it reads is clicked by mistake with probability 0.05 (dwell 5 s, ending the
 * session). One more "user" is a spammer: on every query it bookmarks one fixed wrong record
 * of the results (the 7th) — the bound says it cannot take the ranking over.
 *
 * Then MRR@10 and recall@1 of the seen and the similar queries, without feedback and with
 * (default weight), in the same run; and where the spammer's records ended up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readWordnet, senseText, type Synset } from '../src/embed/wordnet.js';
import { mulberry32 } from '../src/random.js';
import { poster, serveProcess, upsertAll, waitIndexed } from './lib/server.js';

const { values } = parseArgs({ options: { queries: { type: 'string' }, users: { type: 'string' }, seed: { type: 'string' }, wordnet: { type: 'string' } } });
const QUERIES = Number(values.queries ?? 300);
const USERS = Number(values.users ?? 8);
const rnd = mulberry32(Number(values.seed ?? 5));
const WORDNET = values.wordnet ?? process.env.VECTRA_WORDNET_DIR ?? '/usr/share/wordnet';

const all = readWordnet(WORDNET);
const holds = (s: Synset, e: string) => e.split(/\s+/).length >= 4 && s.lemmas.some((l) => e.toLowerCase().includes(l.toLowerCase().replaceAll('_', ' ')));
const eligible = all.filter((s) => s.examples.filter((e) => holds(s, e)).length >= 2);
for (let i = 0; i < QUERIES; i++) {
  const j = i + Math.floor(rnd() * (eligible.length - i));
  [eligible[i], eligible[j]] = [eligible[j], eligible[i]];
}
const labelled = eligible.slice(0, QUERIES).map((s) => {
  const [seen, similar] = s.examples.filter((e) => holds(s, e));
  return { id: s.id, seen, similar };
});
const words = new Set(labelled.flatMap((q) => all.find((s) => s.id === q.id)!.lemmas));
const corpus = new Map<string, Synset>();
for (const s of all) if (s.lemmas.some((l) => words.has(l))) corpus.set(s.id, s);
for (let i = 0; i < 5000; i++) {
  const s = all[Math.floor(rnd() * all.length)];
  corpus.set(s.id, s);
}
const senses = [...corpus.values()];

const dataDir = mkdtempSync(join(tmpdir(), 'vectra-bench-feedback-'));
const server = await serveProcess(dataDir, [], [], undefined, { VECTRA_RATE_LIMIT: '10000000' });
const post = poster(server.url);
try {
  const { apiKey: key } = await post('/v1/auth/register', { name: 'bench-feedback' });
  await post('/v1/collections', { name: 'wn' }, key);
  await upsertAll(post, key, 'wn', senses.length, 1000, (i) => ({ id: senses[i].id, text: senseText(senses[i]).replaceAll('_', ' ') }));
  await waitIndexed(server.url, key, 'wn');
  const search = async (text: string, feedback: boolean, minSimilarity?: number): Promise<string[]> =>
    ((await post('/v1/collections/wn/search', { text, k: 10, return: 'id', ...(feedback ? { rerank: { type: 'feedback', minSimilarity } } : {}) }, key)) as { results: { id: string }[] }).results.map((h) => h.id);
  let signals = 0;
  const feedback = async (query: string, id: string, signal: string, user: string, value?: number) => {
    const res = await fetch(`${server.url}/v1/collections/wn/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, id, signal, user, ...(value === undefined ? {} : { value }) }),
    });
    if (res.status !== 204) throw new Error(`feedback: ${res.status} ${await res.text()}`);
    signals++;
  };
  const quality = async (which: 'seen' | 'similar', withFeedback: boolean, minSimilarity?: number) => {
    let rr = 0;
    let at1 = 0;
    for (const q of labelled) {
      const ids = await search(q[which], withFeedback, minSimilarity);
      const at = ids.indexOf(q.id);
      if (at >= 0) rr += 1 / (at + 1);
      if (at === 0) at1++;
    }
    return { mrr: rr / labelled.length, at1: at1 / labelled.length };
  };

  const before = { seen: await quality('seen', false), similar: await quality('similar', false) };

  // The log: USERS sessions per seen query, interleaved, plus the spammer.
  const spammed = new Map<string, string>();
  let clicks = 0;
  let mistakes = 0;
  const t0 = performance.now();
  for (let u = 0; u < USERS; u++) {
    for (const q of labelled) {
      const ids = await search(q.seen, true);
      for (let r = 0; r < ids.length; r++) {
        if (ids[r] === q.id) {
          if (rnd() < 0.9) {
            await feedback(q.seen, ids[r], 'dwell', `u${u}`, 40);
            clicks++;
            for (let a = 0; a < r; a++) if (rnd() < 0.5) await feedback(q.seen, ids[a], 'skip', `u${u}`);
          }
          break;
        }
        if (rnd() < 0.05) {
          await feedback(q.seen, ids[r], 'dwell', `u${u}`, 5);
          mistakes++;
          break;
        }
      }
      if (u === 0 && ids.length >= 7 && ids[6] !== q.id) {
        spammed.set(q.id, ids[6]);
        await feedback(q.seen, ids[6], 'bookmark', 'spammer');
      }
    }
  }
  const logSeconds = (performance.now() - t0) / 1000;
  const after = { seen: await quality('seen', true), similar: await quality('similar', true) };
  const looser = await quality('similar', true, 0.5);
  // Where the spammer's records stand with feedback, against where they stood without.
  let spamTop3 = 0;
  let spamRankSum = 0;
  let spamFound = 0;
  for (const q of labelled) {
    const s = spammed.get(q.id);
    if (!s) continue;
    const at = (await search(q.seen, true)).indexOf(s);
    if (at >= 0) {
      spamFound++;
      spamRankSum += at + 1;
      if (at < 3) spamTop3++;
    }
  }

  const f = (n: number) => n.toFixed(3);
  console.log(`\n### Feedback reranking: simulated click log (${QUERIES} senses, ${USERS} users each, ${senses.length.toLocaleString('en-US')} senses in the collection)\n`);
  console.log(`Log: ${clicks} right clicks, ${mistakes} mistaken clicks, ${spammed.size} spam bookmarks, ${signals} signals in ${logSeconds.toFixed(1)} s (searches and feedback over HTTP).\n`);
  console.log('| queries | MRR@10 without | MRR@10 with feedback | lift | recall@1 without | recall@1 with |');
  console.log('|---|---|---|---|---|---|');
  for (const w of ['seen', 'similar'] as const) {
    console.log(`| ${w === 'seen' ? 'seen (the logged example sentence)' : 'similar (the held-out example of the same sense)'} | ${f(before[w].mrr)} | ${f(after[w].mrr)} | ${((after[w].mrr / before[w].mrr - 1) * 100).toFixed(1)} % | ${f(before[w].at1)} | ${f(after[w].at1)} |`);
  }
  console.log(`| similar, minSimilarity 0.5 | ${f(before.similar.mrr)} | ${f(looser.mrr)} | ${((looser.mrr / before.similar.mrr - 1) * 100).toFixed(1)} % | ${f(before.similar.at1)} | ${f(looser.at1)} |`);
  console.log(`\nSpammer: ${spammed.size} records bookmarked at rank 7; with feedback ${spamFound} of them still in the top 10 (mean rank ${spamFound ? (spamRankSum / spamFound).toFixed(1) : '–'}), ${spamTop3} in the top 3.`);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
