/**
 * A labeled retrieval set that exists offline: WordNet 3.0 (Debian's wordnet-base, files in
 * /usr/share/wordnet). Task "wordnet-example-to-sense": the query is an example sentence of a
 * word sense ("the pilot reported two kills during the mission"), the corpus holds senses as
 * "lemmas: definition" ("kill: the destruction of an enemy plane or ship or tank or missile"),
 * and the right answer is the sense the example illustrates. The corpus is the queries' own
 * senses plus every other sense of their words (the hard negatives: which "kill" is meant is
 * decided by meaning, not by the shared word) — so lexical overlap alone does not solve it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VectraError } from '../errors.js';
import { mulberry32 } from '../random.js';

const FILES = ['data.noun', 'data.verb', 'data.adj', 'data.adv'];

export interface Synset {
  /** "<offset><pos>", e.g. "00217593n": unique across the four files. */
  id: string;
  lemmas: string[];
  definition: string;
  examples: string[];
}

export interface RetrievalTask {
  name: string;
  description: string;
  corpus: string[];
  /** Each query's text and the index in `corpus` of its one right answer. */
  queries: { text: string; target: number }[];
  /** What a ranking without a model scores, to read the models' scores against. */
  reference: { name: string; accuracyAt1: number; recallAt10: number };
}

/** Clear error when the files are missing: say how to get them. */
export function wordnetFiles(dir: string): string[] {
  const paths = FILES.map((f) => join(dir, f));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new VectraError(
      'BENCHMARK_DATA_MISSING',
      `the model benchmark needs WordNet 3.0 and ${missing[0]} is missing: install Debian's wordnet-base (apt-get install wordnet-base) or set VECTRA_WORDNET_DIR to a directory holding ${FILES.join(', ')}`,
    );
  }
  return paths;
}

/** One line of a WordNet data file (wndb(5)): offset lex_filenum ss_type w_cnt (word lex_id)… p_cnt … | gloss. */
export function parseSynsetLine(line: string): Synset | null {
  if (line.startsWith('  ') || line.length === 0) return null; // licence header
  const bar = line.indexOf(' | ');
  if (bar < 0) return null;
  const f = line.slice(0, bar).split(' ');
  const count = parseInt(f[3], 16);
  const lemmas: string[] = [];
  for (let i = 0; i < count; i++) {
    // Adjective markers such as "(p)", "(a)", "(ip)" are syntax, not words.
    lemmas.push(f[4 + 2 * i].replace(/\([a-z]+\)$/, '').replace(/_/g, ' '));
  }
  const gloss = line.slice(bar + 3).trim();
  const quote = gloss.indexOf('"');
  const definition = (quote < 0 ? gloss : gloss.slice(0, quote)).replace(/[;\s]+$/, '');
  const examples = quote < 0 ? [] : [...gloss.slice(quote).matchAll(/"([^"]+)"/g)].map((m) => m[1].trim());
  const pos = f[2] === 's' ? 'a' : f[2];
  return { id: `${f[0]}${pos}`, lemmas, definition, examples };
}

export function readWordnet(dir: string): Synset[] {
  const out: Synset[] = [];
  for (const path of wordnetFiles(dir)) {
    for (const line of readFileSync(path, 'latin1').split('\n')) {
      const s = parseSynsetLine(line);
      if (s) out.push(s);
    }
  }
  return out;
}

export const senseText = (s: Synset): string => `${s.lemmas.join(', ')}: ${s.definition}`;

/** `queries` senses with an example of at least four words, drawn by `seed`; see the file comment. */
export function exampleToSenseTask(synsets: Synset[], queries: number, seed = 1): RetrievalTask {
  const eligible = synsets.filter((s) => s.examples.some((e) => e.split(/\s+/).length >= 4));
  if (queries > eligible.length) throw new VectraError('INVALID_ARGUMENT', `queries must be at most ${eligible.length}`);
  const rnd = mulberry32(seed);
  // Partial Fisher–Yates: the first `queries` entries are the sample.
  for (let i = 0; i < queries; i++) {
    const j = i + Math.floor(rnd() * (eligible.length - i));
    [eligible[i], eligible[j]] = [eligible[j], eligible[i]];
  }
  const chosen = eligible.slice(0, queries);
  const byLemma = new Map<string, Synset[]>();
  for (const s of synsets) {
    for (const l of s.lemmas) {
      const k = l.toLowerCase();
      const list = byLemma.get(k);
      if (list) list.push(s);
      else byLemma.set(k, [s]);
    }
  }
  const index = new Map<string, number>();
  const senses: Synset[] = [];
  const add = (s: Synset): number => {
    let i = index.get(s.id);
    if (i === undefined) {
      index.set(s.id, (i = senses.length));
      senses.push(s);
    }
    return i;
  };
  const qs = chosen.map((s) => ({ text: s.examples.find((e) => e.split(/\s+/).length >= 4)!, target: add(s) }));
  for (const s of chosen) for (const l of s.lemmas) for (const other of byLemma.get(l.toLowerCase())!) add(other);
  return {
    name: 'wordnet-example-to-sense',
    description: `WordNet 3.0: find the sense (lemmas: definition) an example sentence illustrates, among ${senses.length} senses including every other sense of the same words`,
    corpus: senses.map(senseText),
    queries: qs,
    reference: wordMatchReference(senses, qs),
  };
}

/**
 * The expected score of ranking first, in random order, the senses with a lemma that occurs
 * word for word in the query (no stemming), then the rest: what lexical overlap alone earns.
 */
function wordMatchReference(senses: Synset[], queries: { text: string; target: number }[]): RetrievalTask['reference'] {
  const words = (t: string) => ` ${t.toLowerCase().match(/[\p{L}\p{N}'-]+/gu)?.join(' ') ?? ''} `;
  const lemmas = senses.map((s) => s.lemmas.map((l) => words(l)));
  let at1 = 0;
  let at10 = 0;
  for (const q of queries) {
    const text = words(q.text);
    let matching = 0;
    let targetMatches = false;
    lemmas.forEach((ls, i) => {
      if (ls.some((l) => text.includes(l))) {
        matching++;
        if (i === q.target) targetMatches = true;
      }
    });
    if (targetMatches) {
      at1 += 1 / matching;
      at10 += Math.min(1, 10 / matching);
    }
  }
  return { name: 'word match, random order among matching senses (no model)', accuracyAt1: at1 / queries.length, recallAt10: at10 / queries.length };
}

/** The task from the WordNet files in `dir`. */
export function wordnetTask(dir: string, queries: number, seed = 1): RetrievalTask {
  return exampleToSenseTask(readWordnet(dir), queries, seed);
}
