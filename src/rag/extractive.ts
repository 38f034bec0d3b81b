/**
 * The generator that needs no LLM: it answers with the sentences of the retrieved passages
 * that best answer the question, each followed by its source marker `[n]`. A sentence scores
 * by meaning (cosine of its vector with the question's, by the collection's own model) and by
 * the question's content words it holds; a question none of whose content words any passage
 * holds is not answered from them — the answer says the sources do not hold it, rather than
 * quoting whatever came back from the search.
 */
import { STOPWORDS } from '../stopwords.js';
import { dot, norm } from '../vector/math.js';

export interface Passage {
  /** The source's number: `[n]` in the answer. */
  n: number;
  text: string;
  /** A document chunk's heading path: its text starts with it, and it is no answer. */
  section?: string;
}

export interface ExtractedSentence {
  n: number;
  text: string;
  score: number;
}

export interface ExtractiveAnswer {
  answer: string;
  /** False when the sources do not hold an answer (then `answer` says so and cites nothing). */
  grounded: boolean;
  sentences: ExtractedSentence[];
}

export const NOT_IN_SOURCES = 'The sources found do not answer this question.';

/** A crude stem, enough for "prices"/"price", "rented"/"renting"/"rent" to meet. */
function stem(w: string): string {
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  if (w.length > 4 && /(?:ss|x|z|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** The words of a text that carry its meaning (not stop words), stemmed. */
export function contentWords(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const w = m[0];
    if (w.length < 2 || STOPWORDS.has(w)) continue;
    out.add(stem(w));
  }
  return out;
}

/** Sentences of a passage: split after . ! ? and at line breaks; fragments of fewer than 3 words dropped. */
export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}"'(“])|\n+/u)
    .map((s) => s.trim())
    .filter((s) => s.split(/\s+/).length >= 3)
    .map((s) => (s.length > 400 ? `${s.slice(0, 397)}…` : s));
}

function cosine(a: Float32Array, b: Float32Array): number {
  const n = norm(a) * norm(b);
  return n === 0 ? 0 : dot(a, b) / n;
}

export interface ExtractOptions {
  /**
   * The question the last one follows up ("and its price?" after "tell me about the bike"):
   * its words count half, and a sentence must still hold a word of the last question.
   */
  context?: string;
  /** Most sentences in the answer (default 3) and most characters (default 700). */
  maxSentences?: number;
  maxChars?: number;
}

/**
 * The answer from `passages` to `question`. `embed` gives vectors for texts with the
 * collection's model (null: no model, words alone decide).
 */
export async function extractiveAnswer(question: string, passages: Passage[], embed: ((texts: string[]) => Promise<Float32Array[]>) | null, o: ExtractOptions = {}): Promise<ExtractiveAnswer> {
  const maxSentences = o.maxSentences ?? 3;
  const maxChars = o.maxChars ?? 700;
  const q = contentWords(question);
  const prev = [...contentWords(o.context ?? '')].filter((w) => !q.has(w));
  const candidates = passages.flatMap((p, rank) =>
    sentencesOf(p.text)
      .filter((text) => text !== p.section)
      .map((text, pos) => ({ n: p.n, text, rank, pos, section: p.section })),
  );
  if (candidates.length === 0 || q.size === 0) return { answer: NOT_IN_SOURCES, grounded: false, sentences: [] };
  const vectors = embed ? await embed([o.context ? `${o.context} ${question}` : question, ...candidates.map((c) => c.text)]) : null;
  const scored = candidates.map((c, i) => {
    // A sentence is about what its headings say too: under "Price", "it costs 649 euros" answers "price?".
    const words = contentWords(c.section ? `${c.section} ${c.text}` : c.text);
    let shared = 0;
    for (const w of q) if (words.has(w)) shared++;
    let sharedPrev = 0;
    for (const w of prev) if (words.has(w)) sharedPrev++;
    const lexical = (shared + 0.5 * sharedPrev) / (q.size + 0.5 * prev.length);
    const meaning = vectors ? Math.max(0, cosine(vectors[0], vectors[i + 1])) : 0;
    // Words decide whether a sentence is about the question; meaning orders those that are;
    // a better-ranked passage wins a tie.
    const score = (vectors ? 0.5 * meaning + 0.5 * lexical : lexical) + 0.01 / (1 + c.rank);
    return { ...c, shared, score };
  });
  const relevant = scored.filter((s) => s.shared > 0).sort((a, b) => b.score - a.score);
  if (relevant.length === 0) return { answer: NOT_IN_SOURCES, grounded: false, sentences: [] };
  const best = relevant[0].score;
  const picked: typeof relevant = [];
  let chars = 0;
  for (const s of relevant) {
    if (picked.length >= maxSentences || s.score < best * 0.7) break;
    if (picked.some((p) => p.text === s.text)) continue;
    if (picked.length > 0 && chars + s.text.length > maxChars) continue;
    picked.push(s);
    chars += s.text.length;
  }
  // In reading order: the best-ranked source first, its sentences in their order.
  picked.sort((a, b) => a.rank - b.rank || a.pos - b.pos);
  return {
    answer: picked.map((s) => `${s.text} [${s.n}]`).join(' '),
    grounded: true,
    sentences: picked.map((s) => ({ n: s.n, text: s.text, score: Math.round(s.score * 10000) / 10000 })),
  };
}
