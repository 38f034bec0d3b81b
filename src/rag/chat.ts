/**
 * Chat over a tenant's collections: condense the question with the conversation, retrieve
 * (hybrid by default) from each collection, number the passages as sources, and answer with
 * inline markers `[n]` that map to `citations`. The generator is a configured LLM
 * (src/rag/llm.ts; the prompt: src/rag/prompt.ts) or, with none, the extractive one (no LLM:
 * src/rag/extractive.ts).
 */
import { VectraError } from '../errors.js';
import type { CollectionService } from '../services/collections.js';
import type { EmbeddingService } from '../services/embedding.js';
import { NO_MODEL, modelOf } from '../services/embedding.js';
import type { AnswerHit, SearchBody, SearchService } from '../services/search.js';
import type { Conversations, Role } from './conversations.js';
import { contentWords, extractiveAnswer, NOT_IN_SOURCES, type Passage } from './extractive.js';
import { EXTRACTIVE, type Llm, type LlmMessage, LlmRegistry } from './llm.js';
import { buildPrompt, citedNumbers, estimateTokens } from './prompt.js';
import type { AnswerCache } from './semantic-cache.js';
import type { Collection } from '../engine/index.js';

/**
 * A collection's state in the semantic cache's key: any write must change it, and the same data
 * must give the same state wherever the cache is shared. Null: no state to name now (a replica
 * loading), so nothing is cached.
 */
export type CollectionState = (tenantId: string, name: string, c: Collection) => unknown;

/** The embedded mode's: the collection's creation and its seq. */
const localState: CollectionState = (_t, _n, c) => [c.config.attributes.createdAt ?? '', c.seq];

/** What the semantic cache keeps of an answer: all but the conversation it went to. */
export type CachedAnswer = Omit<ChatAnswer, 'conversationId' | 'cached'>;

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface ChatRequest {
  collection?: string;
  collections?: string[];
  messages: ChatMessage[];
  conversationId?: string;
  k?: number;
  filter?: Record<string, unknown>;
  mode?: 'dense' | 'keyword' | 'hybrid';
  /** Rerank the retrieved passages (MMR, or a cross-encoder) before they become sources. */
  rerank?: SearchBody['rerank'];
  llm?: string;
  stream?: boolean;
  /** Use the semantic cache (default true). */
  cache?: boolean;
  /** For an LLM: sampling temperature and the longest answer, in tokens (the extractive generator ignores both). */
  temperature?: number;
  maxTokens?: number;
}

export interface AnswerOptions {
  /** Store the turn in a conversation (default true; the OpenAI-compatible route does not). */
  store?: boolean;
  /** Aborts retrieval's LLM call when the client went away. */
  signal?: AbortSignal;
}

/** Told of every LLM answer and failure (the metrics). */
export interface LlmObserver {
  answered(llm: string, o: { firstTextSeconds: number; seconds: number; promptTokens: number; completionTokens: number }): void;
  failed(llm: string): void;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** True when counted here (estimated) rather than reported by the provider. */
  estimated: boolean;
}

export interface Citation {
  n: number;
  id: string;
  collection: string;
  document?: string;
  title?: string;
  section?: string;
  text: string;
  score: number;
}

export interface ChatAnswer {
  answer: string;
  citations: Citation[];
  conversationId: string;
  llm: string;
  cached: boolean;
  /** What was searched: the question, with the previous one when the question leans on it. */
  query: string;
  /** False when the sources did not hold an answer (the answer says so). */
  grounded: boolean;
  usage: ChatUsage;
  /** "length": the LLM stopped at the answer's token limit (maxTokens), so the answer is cut. */
  finishReason: 'stop' | 'length';
}

export type ChatEvent = { type: 'citations'; citations: Citation[] } | { type: 'delta'; text: string } | { type: 'done'; answer: ChatAnswer };

/** A question with fewer content words than this leans on the previous one ("and its price?"). */
const SHORT_QUESTION = 3;
const MAX_COLLECTIONS = 8;

/**
 * The text to search for the last user message: itself, or — when it is short and there is
 * an earlier user message — the earlier one and itself, so "and in Paris?" after "hotels
 * near the station" searches for both. No LLM is needed to condense.
 */
export function condensedQuery(messages: ChatMessage[]): string {
  const users = messages.filter((m) => m.role === 'user');
  const last = users[users.length - 1].content;
  if (users.length < 2 || contentWords(last).size >= SHORT_QUESTION) return last;
  return `${users[users.length - 2].content} ${last}`;
}

export class ChatService {
  constructor(
    private readonly collections: CollectionService,
    private readonly search: SearchService,
    private readonly embedding: EmbeddingService,
    private readonly conversations: Conversations,
    private readonly cache: AnswerCache<CachedAnswer> | null = null,
    readonly llms: LlmRegistry = new LlmRegistry([]),
  ) {}

  private llmObserver: LlmObserver | null = null;
  private stateOf: CollectionState = localState;

  /** How a collection's state is named in the cache's key (the scale-out mode: its replica's PostgreSQL seq). */
  useCollectionState(f: CollectionState): void {
    this.stateOf = f;
  }

  /** Who is told of LLM answers and failures (/metrics). */
  observeLlms(o: LlmObserver): void {
    this.llmObserver = o;
  }

  /** The semantic cache's lookups so far, for /metrics (this process's; null when it is off; entries null when shared). */
  cacheStats(): { hits: number; misses: number; entries: number | null } | null {
    return this.cache ? { hits: this.cache.hits, misses: this.cache.misses, entries: this.cache.size() } : null;
  }

  async answer(tenantId: string, req: ChatRequest, onEvent: (e: ChatEvent) => void = () => undefined, opts: AnswerOptions = {}): Promise<ChatAnswer> {
    const names = req.collections ?? (req.collection !== undefined ? [req.collection] : []);
    if (names.length === 0) throw new VectraError('INVALID_ARGUMENT', 'give "collection" (a name) or "collections" (names) to ground the answer on');
    if (req.collections && req.collection !== undefined) throw new VectraError('INVALID_ARGUMENT', 'give "collection" or "collections", not both');
    if (names.length > MAX_COLLECTIONS) throw new VectraError('INVALID_ARGUMENT', `at most ${MAX_COLLECTIONS} collections per chat`);
    const llm = this.llms.resolve(req.llm);
    const llmId = llm?.id ?? EXTRACTIVE;
    const unavailable = llm?.availability();
    if (unavailable && !unavailable.available) throw new VectraError('LLM_UNAVAILABLE', unavailable.reason!);
    if (llm && req.maxTokens !== undefined && req.maxTokens >= llm.contextTokens) throw new VectraError('INVALID_ARGUMENT', `maxTokens ${req.maxTokens} leaves no room for the sources: llm "${llm.id}" has a context of ${llm.contextTokens} tokens`);
    const last = req.messages[req.messages.length - 1];
    if (last.role !== 'user') throw new VectraError('INVALID_ARGUMENT', 'the last message must be the user\'s question (role "user")');
    if (last.content.trim() === '') throw new VectraError('INVALID_ARGUMENT', 'the question (the last message) is empty');
    // The conversation must be the tenant's before anything is searched.
    const history = req.conversationId ? (await this.conversations.messages(tenantId, req.conversationId)).map((m) => ({ role: m.role, content: m.content })) : [];
    const cols = [...new Set(names)].map((n) => ({ name: n, c: this.collections.get(tenantId, n) }));
    const noModel = cols.find(({ c }) => modelOf(c) === NO_MODEL);
    if (noModel) throw new VectraError('INVALID_ARGUMENT', `collection "${noModel.name}" has no text model ("none"): chat searches by the question's text, so it needs a collection created with a model`);

    const conversation = [...history, ...req.messages];
    const system = conversation.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
    const query = condensedQuery(conversation);
    const k = req.k ?? 5;
    const store = async (answerText: string, citations: Citation[]) =>
      opts.store === false ? '' : this.conversations.append(tenantId, req.conversationId ?? null, [...(req.conversationId ? [last] : req.messages), { role: 'assistant', content: answerText, citations }]);
    // The cache answers standalone questions only (a follow-up depends on what came before), by
    // the vector of the question in the first collection's model.
    const withModel = cols.find(({ c }) => modelOf(c) !== NO_MODEL);
    // An LLM reads the conversation too: only its answers to a first question are shared.
    const earlierTurns = conversation.slice(0, -1).some((m) => m.role !== 'system');
    const cacheable = this.cache !== null && req.cache !== false && query === last.content && withModel !== undefined && !(llm && earlierTurns);
    // The key: every collection's state (name, creation, seq: any write invalidates) and everything
    // else the answer depends on. Read again after the search: an answer is stored only under the
    // state it was searched in.
    const stateNow = (): string | null => {
      const states = cols.map(({ name, c }) => [name, this.stateOf(tenantId, name, c)]);
      if (states.some(([, st]) => st === null)) return null;
      return JSON.stringify([states, k, req.filter ?? null, req.mode ?? 'hybrid', req.rerank ?? null, llmId, system, req.temperature ?? null, req.maxTokens ?? null]);
    };
    const state = cacheable ? stateNow() : null;
    const qv = state !== null ? await this.embedding.embedQuery(withModel!.c, query) : null;
    const hit = qv ? await this.cache!.get(tenantId, state!, qv) : null;
    if (hit) {
      onEvent({ type: 'citations', citations: hit.citations });
      onEvent({ type: 'delta', text: hit.answer });
      // Nothing was read or written to answer it this time.
      const answer: ChatAnswer = { ...hit, usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, estimated: false }, conversationId: await store(hit.answer, hit.citations), cached: true };
      onEvent({ type: 'done', answer });
      return answer;
    }
    const rankings = await Promise.all(
      cols.map(async ({ name }) => ({ name, hits: (await this.search.search(tenantId, name, { text: query, k, filter: req.filter, mode: req.mode ?? 'hybrid', ...(req.rerank ? { rerank: req.rerank } : {}) })).results })),
    );
    // A collection changed during the search (a write, a replica applying one): the passages may
    // be of either state, so the answer is not stored under either.
    const searchedIn = qv && stateNow() === state ? state : null;
    const passages = mergeRankings(rankings, k);
    const citationsAll: Citation[] = passages.map((p, i) => citationOf(i + 1, p.collection, p.hit));
    const generated = llm
      ? await this.generate(llm, req, last.content, conversation.slice(0, -1), system, citationsAll, onEvent, opts.signal)
      : await this.extract(withModel, last.content, query, citationsAll, onEvent);
    const answer: ChatAnswer = { ...generated, conversationId: await store(generated.answer, generated.citations), llm: llmId, cached: false, query };
    // An answer cut at the token limit is not one to serve again.
    if (qv && searchedIn !== null && answer.finishReason === 'stop') await this.cache!.set(tenantId, searchedIn, qv, { answer: answer.answer, citations: answer.citations, llm: llmId, query, grounded: answer.grounded, usage: answer.usage, finishReason: answer.finishReason });
    onEvent({ type: 'done', answer });
    return answer;
  }

  /** The extractive answer: the passages' sentences that answer the question, each marked. */
  private async extract(
    withModel: { c: Parameters<EmbeddingService['embedDocuments']>[0] } | undefined,
    question: string,
    query: string,
    citationsAll: Citation[],
    onEvent: (e: ChatEvent) => void,
  ): Promise<Pick<ChatAnswer, 'answer' | 'citations' | 'grounded' | 'usage' | 'finishReason'>> {
    // Sentences are compared with the question by the first collection's model (when it has one).
    const embed = withModel ? (texts: string[]) => this.embedding.embedDocuments(withModel.c, texts) : null;
    // A follow-up is answered about what the conversation is about ("and its price?").
    const extracted = await extractiveAnswer(
      question,
      citationsAll.map((c): Passage => ({ n: c.n, text: c.text, section: c.section })),
      embed,
      { context: query === question ? undefined : query.slice(0, query.length - question.length).trim() },
    );
    const cited = new Set(extracted.sentences.map((s) => s.n));
    const citations = citationsAll.filter((c) => cited.has(c.n));
    onEvent({ type: 'citations', citations });
    // Deltas concatenate to the answer, as an LLM's do: a sentence each, after a space.
    const said = extracted.grounded ? extracted.sentences.map((s) => `${s.text} [${s.n}]`) : [extracted.answer];
    said.forEach((text, i) => onEvent({ type: 'delta', text: i === 0 ? text : ` ${text}` }));
    // No model was asked: what it read and wrote, in the same estimate LLM prompts are fitted by.
    const promptTokens = estimateTokens(question) + citationsAll.reduce((a, c) => a + estimateTokens(c.text), 0);
    const completionTokens = estimateTokens(extracted.answer);
    return { answer: extracted.answer, citations, grounded: extracted.grounded, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, estimated: true }, finishReason: 'stop' };
  }

  /**
   * An LLM's answer: the sources that fit its context, numbered, with the conversation; its
   * text streamed as it comes. `citations` streams first with every source the answer may
   * cite; the final answer keeps those it marks. With no source found the LLM is not asked.
   */
  private async generate(
    llm: Llm,
    req: ChatRequest,
    question: string,
    earlier: ChatMessage[],
    system: string,
    citationsAll: Citation[],
    onEvent: (e: ChatEvent) => void,
    signal?: AbortSignal,
  ): Promise<Pick<ChatAnswer, 'answer' | 'citations' | 'grounded' | 'usage' | 'finishReason'>> {
    if (citationsAll.length === 0) {
      onEvent({ type: 'citations', citations: [] });
      onEvent({ type: 'delta', text: NOT_IN_SOURCES });
      return { answer: NOT_IN_SOURCES, citations: [], grounded: false, usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, estimated: false }, finishReason: 'stop' };
    }
    const maxOutputTokens = req.maxTokens ?? llm.maxOutputTokens;
    let prompt;
    try {
      prompt = buildPrompt({
        question,
        // Earlier answers' markers point at earlier sources, not this prompt's: left out.
        history: earlier.filter((m): m is LlmMessage & ChatMessage => m.role !== 'system').map((m) => (m.role === 'assistant' ? { ...m, content: m.content.replace(/\s*\[\d+(?:\s*,\s*\d+)*\]/g, '') } : m)),
        sources: citationsAll,
        contextTokens: llm.contextTokens,
        maxOutputTokens,
        extraSystem: system || undefined,
      });
    } catch (e) {
      if (e instanceof RangeError) throw new VectraError('INVALID_ARGUMENT', `the question does not fit llm "${llm.id}": ${e.message}; shorten it or the system messages, or lower maxTokens`);
      throw e;
    }
    const offered = citationsAll.filter((c) => prompt.used.includes(c.n));
    onEvent({ type: 'citations', citations: offered });
    const t0 = performance.now();
    let first = 0;
    let out;
    try {
      out = await llm.generate({ system: prompt.system, messages: prompt.messages, maxTokens: maxOutputTokens, temperature: req.temperature, signal }, (text) => {
        if (first === 0) first = performance.now();
        onEvent({ type: 'delta', text });
      });
    } catch (e) {
      if (!signal?.aborted) this.llmObserver?.failed(llm.id);
      throw e;
    }
    const end = performance.now();
    const cited = citedNumbers(out.text, prompt.used);
    const grounded = cited.size > 0 && !out.text.includes(NOT_IN_SOURCES);
    const usage: ChatUsage = out.usage
      ? { ...out.usage, totalTokens: out.usage.promptTokens + out.usage.completionTokens, estimated: false }
      : { promptTokens: prompt.promptTokens, completionTokens: estimateTokens(out.text), totalTokens: prompt.promptTokens + estimateTokens(out.text), estimated: true };
    this.llmObserver?.answered(llm.id, { firstTextSeconds: ((first || end) - t0) / 1000, seconds: (end - t0) / 1000, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens });
    // Each provider's word for "stopped at max tokens": OpenAI "length", Gemini "MAX_TOKENS", Anthropic "max_tokens".
    const finishReason = /^(length|max_tokens)$/i.test(out.finishReason) ? 'length' : 'stop';
    return { answer: out.text, citations: offered.filter((c) => cited.has(c.n)), grounded, usage, finishReason };
  }
}

/** One ranking from several collections' (reciprocal-rank fusion), the best `k`. */
function mergeRankings(rankings: { name: string; hits: AnswerHit[] }[], k: number): { collection: string; hit: AnswerHit }[] {
  if (rankings.length === 1) return rankings[0].hits.slice(0, k).map((hit) => ({ collection: rankings[0].name, hit }));
  const all = rankings.flatMap(({ name, hits }) => hits.map((hit, rank) => ({ collection: name, hit, rrf: 1 / (60 + rank + 1) })));
  return all.sort((a, b) => b.rrf - a.rrf || b.hit.score - a.hit.score).slice(0, k);
}

function citationOf(n: number, collection: string, hit: AnswerHit): Citation {
  const m = (hit.metadata ?? {}) as Record<string, unknown>;
  const title = typeof m._title === 'string' ? m._title : typeof m.title === 'string' ? m.title : undefined;
  return {
    n,
    id: hit.id,
    collection,
    ...(typeof m._document === 'string' ? { document: m._document } : {}),
    ...(title !== undefined ? { title } : {}),
    ...(typeof m._section === 'string' ? { section: m._section } : {}),
    text: hit.text ?? '',
    score: hit.score,
  };
}
