/**
 * Chat over a tenant's collections: condense the question with the conversation, retrieve
 * (hybrid by default) from each collection, number the passages as sources, and answer with
 * inline markers `[n]` that map to `citations`. The generator today is the extractive one
 * (no LLM: src/rag/extractive.ts); LLM providers plug in behind `llm` later.
 */
import { VectraError } from '../errors.js';
import type { CollectionService } from '../services/collections.js';
import type { EmbeddingService } from '../services/embedding.js';
import { NO_MODEL, modelOf } from '../services/embedding.js';
import type { AnswerHit, SearchService } from '../services/search.js';
import type { ConversationStore, Role } from './conversations.js';
import { contentWords, extractiveAnswer, type Passage } from './extractive.js';
import type { SemanticCache } from './semantic-cache.js';

/** What the semantic cache keeps of an answer: all but the conversation it went to. */
export type CachedAnswer = Omit<ChatAnswer, 'conversationId' | 'cached'>;

export const LLMS = [{ id: 'extractive', provider: 'builtin', default: true, available: true }] as const;

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
  llm?: string;
  stream?: boolean;
  /** Use the semantic cache (default true). */
  cache?: boolean;
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
    private readonly conversations: ConversationStore,
    private readonly cache: SemanticCache<CachedAnswer> | null = null,
  ) {}

  /** The semantic cache's lookups so far, for /metrics (server-wide; null when it is off). */
  cacheStats(): { hits: number; misses: number; entries: number } | null {
    return this.cache ? { hits: this.cache.hits, misses: this.cache.misses, entries: this.cache.size() } : null;
  }

  async answer(tenantId: string, req: ChatRequest, onEvent: (e: ChatEvent) => void = () => undefined): Promise<ChatAnswer> {
    const names = req.collections ?? (req.collection !== undefined ? [req.collection] : []);
    if (names.length === 0) throw new VectraError('INVALID_ARGUMENT', 'give "collection" (a name) or "collections" (names) to ground the answer on');
    if (req.collections && req.collection !== undefined) throw new VectraError('INVALID_ARGUMENT', 'give "collection" or "collections", not both');
    if (names.length > MAX_COLLECTIONS) throw new VectraError('INVALID_ARGUMENT', `at most ${MAX_COLLECTIONS} collections per chat`);
    const llm = req.llm ?? 'extractive';
    if (!LLMS.some((l) => l.id === llm)) throw new VectraError('LLM_NOT_FOUND', `llm "${llm}" is not configured here; GET /v1/llms lists them (available: ${LLMS.map((l) => l.id).join(', ')})`);
    const last = req.messages[req.messages.length - 1];
    if (last.role !== 'user') throw new VectraError('INVALID_ARGUMENT', 'the last message must be the user\'s question (role "user")');
    if (last.content.trim() === '') throw new VectraError('INVALID_ARGUMENT', 'the question (the last message) is empty');
    // The conversation must be the tenant's before anything is searched.
    const history = req.conversationId ? this.conversations.messages(tenantId, req.conversationId).map((m) => ({ role: m.role, content: m.content })) : [];
    const cols = [...new Set(names)].map((n) => ({ name: n, c: this.collections.get(tenantId, n) }));
    const noModel = cols.find(({ c }) => modelOf(c) === NO_MODEL);
    if (noModel) throw new VectraError('INVALID_ARGUMENT', `collection "${noModel.name}" has no text model ("none"): chat searches by the question's text, so it needs a collection created with a model`);

    const query = condensedQuery([...history, ...req.messages]);
    const k = req.k ?? 5;
    // The cache answers standalone questions only (a follow-up depends on what came before), by
    // the vector of the question in the first collection's model, keyed by the collections'
    // state (name, instance, seq: any write invalidates) and the retrieval settings.
    const withModel = cols.find(({ c }) => modelOf(c) !== NO_MODEL);
    const cacheable = this.cache !== null && req.cache !== false && query === last.content && withModel !== undefined;
    const state = JSON.stringify([cols.map(({ name, c }) => [name, c.config.attributes.createdAt ?? '', c.seq]), k, req.filter ?? null, req.mode ?? 'hybrid', llm]);
    const qv = cacheable ? await this.embedding.embedQuery(withModel.c, query) : null;
    const hit = qv ? this.cache!.get(tenantId, state, qv) : null;
    if (hit) {
      onEvent({ type: 'citations', citations: hit.citations });
      onEvent({ type: 'delta', text: hit.answer });
      const conversationId = this.conversations.append(tenantId, req.conversationId ?? null, [
        ...(req.conversationId ? [last] : req.messages),
        { role: 'assistant', content: hit.answer, citations: hit.citations },
      ]);
      const answer: ChatAnswer = { ...hit, conversationId, cached: true };
      onEvent({ type: 'done', answer });
      return answer;
    }
    const rankings = await Promise.all(
      cols.map(async ({ name }) => ({ name, hits: (await this.search.search(tenantId, name, { text: query, k, filter: req.filter, mode: req.mode ?? 'hybrid' })).results })),
    );
    const passages = mergeRankings(rankings, k);
    const citationsAll: Citation[] = passages.map((p, i) => citationOf(i + 1, p.collection, p.hit));
    // Sentences are compared with the question by the first collection's model (when it has one).
    const embed = withModel ? (texts: string[]) => this.embedding.embedDocuments(withModel.c, texts) : null;
    // A follow-up is answered about what the conversation is about ("and its price?").
    const extracted = await extractiveAnswer(
      last.content,
      citationsAll.map((c): Passage => ({ n: c.n, text: c.text, section: c.section })),
      embed,
      { context: query === last.content ? undefined : query.slice(0, query.length - last.content.length).trim() },
    );
    const cited = new Set(extracted.sentences.map((s) => s.n));
    const citations = citationsAll.filter((c) => cited.has(c.n));
    onEvent({ type: 'citations', citations });
    for (const s of extracted.grounded ? extracted.sentences : [{ n: 0, text: extracted.answer }]) {
      const piece = s.n === 0 ? s.text : `${s.text} [${s.n}]`;
      onEvent({ type: 'delta', text: piece });
    }
    const conversationId = this.conversations.append(tenantId, req.conversationId ?? null, [
      ...(req.conversationId ? [last] : req.messages),
      { role: 'assistant', content: extracted.answer, citations },
    ]);
    const answer: ChatAnswer = { answer: extracted.answer, citations, conversationId, llm, cached: false, query, grounded: extracted.grounded };
    if (qv) this.cache!.set(tenantId, state, qv, { answer: answer.answer, citations, llm, query, grounded: answer.grounded });
    onEvent({ type: 'done', answer });
    return answer;
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
