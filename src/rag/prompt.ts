/**
 * The prompt an LLM answers from: instructions, the numbered sources, the conversation and the
 * question — fitted into the model's context window. Token counts are estimated (no provider's
 * tokenizer is here): an ASCII character counts a third of a token and any other character a
 * whole one, more than real tokenizers count for English (~4 characters a token) and for most
 * other scripts, so an estimate that fits is a prompt that fits.
 */
import type { LlmMessage } from './llm.js';
import { NOT_IN_SOURCES } from './extractive.js';

export interface Source {
  n: number;
  text: string;
  title?: string;
  section?: string;
  document?: string;
}

export interface PromptParts {
  system: string;
  messages: LlmMessage[];
  /** The sources put in the prompt (whole or cut), by number; the others did not fit. */
  used: number[];
  promptTokens: number;
}

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 3) + other;
}

export const INSTRUCTIONS = [
  'You answer questions using only the numbered sources given with the question.',
  'After every statement, cite the source(s) it comes from by number in square brackets, like [1] or [2][3].',
  `If the sources do not contain the answer, reply exactly: "${NOT_IN_SOURCES}" and nothing else.`,
  'Do not use knowledge from outside the sources. Answer in the language of the question, briefly.',
].join('\n');

/** Fewer tokens than this left for a source: it is left out rather than cut to a stub. */
const MIN_SOURCE_TOKENS = 48;
/** Per-message overhead of chat formats (role markers), estimated. */
const PER_MESSAGE = 8;

function sourceBlock(s: Source): string {
  const head = [s.title, s.section && s.section !== s.title ? s.section : undefined].filter(Boolean).join(' › ');
  // A document chunk's text starts with its heading path: said once, in the source's head.
  const text = s.section && s.text.startsWith(s.section) ? s.text.slice(s.section.length).trimStart() : s.text;
  return `[${s.n}]${head ? ` ${head}` : ''}\n${text}`;
}

/** Cuts text to about `tokens` estimated tokens, at a word boundary when there is one. */
function cut(text: string, tokens: number): string {
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (estimateTokens(text.slice(0, mid)) + 1 <= tokens) lo = mid;
    else hi = mid - 1;
  }
  const head = text.slice(0, lo);
  const space = head.lastIndexOf(' ');
  return `${space > lo * 0.8 ? head.slice(0, space) : head}…`;
}

/**
 * Sources first, in rank order, until three quarters of what is left after the instructions,
 * the question and the answer's room (the last one that does not fit whole is cut, if enough
 * room is left for it to say something); then the conversation, the most recent messages
 * first, into what remains. The extra system text (the request's own system messages) goes
 * after the instructions.
 */
export function buildPrompt(o: {
  question: string;
  history: LlmMessage[];
  sources: Source[];
  contextTokens: number;
  maxOutputTokens: number;
  extraSystem?: string;
}): PromptParts {
  const system = o.extraSystem ? `${INSTRUCTIONS}\n\n${o.extraSystem}` : INSTRUCTIONS;
  const questionPart = `Question: ${o.question}`;
  const fixed = estimateTokens(system) + estimateTokens(questionPart) + estimateTokens('Sources:\n\n') + 2 * PER_MESSAGE;
  let room = o.contextTokens - o.maxOutputTokens - fixed;
  if (room <= 0) throw new RangeError(`the question and instructions need ${fixed} tokens, the model's context leaves ${o.contextTokens - o.maxOutputTokens}`);
  const sourceRoom = o.history.length > 0 ? Math.floor(room * 0.75) : room;
  const blocks: string[] = [];
  const used: number[] = [];
  let spent = 0;
  for (const s of o.sources) {
    const block = sourceBlock(s);
    const t = estimateTokens(block) + 2;
    if (spent + t <= sourceRoom) {
      blocks.push(block);
      used.push(s.n);
      spent += t;
      continue;
    }
    const left = sourceRoom - spent;
    if (left >= MIN_SOURCE_TOKENS) {
      blocks.push(cut(block, left - 2));
      used.push(s.n);
      spent += left;
    }
    break;
  }
  room -= spent;
  const history: LlmMessage[] = [];
  for (let i = o.history.length - 1; i >= 0; i--) {
    const t = estimateTokens(o.history[i].content) + PER_MESSAGE;
    if (t > room) break;
    history.unshift(o.history[i]);
    room -= t;
  }
  const user = blocks.length > 0 ? `Sources:\n\n${blocks.join('\n\n')}\n\n${questionPart}` : `Sources: (none found)\n\n${questionPart}`;
  const messages = [...history, { role: 'user' as const, content: user }];
  const promptTokens = estimateTokens(system) + messages.reduce((a, m) => a + estimateTokens(m.content) + PER_MESSAGE, 0);
  return { system, messages, used, promptTokens };
}

/** The source numbers an answer marks (`[2]`, `[1][3]`, `[1, 3]`), among the ones given. */
export function citedNumbers(answer: string, given: Iterable<number>): Set<number> {
  const ok = new Set(given);
  const found = new Set<number>();
  for (const m of answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    for (const n of m[1].split(',').map((x) => Number(x.trim()))) if (ok.has(n)) found.add(n);
  }
  return found;
}
