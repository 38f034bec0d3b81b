/**
 * `new Vectra({ url, apiKey })`: a collection's records (`vectra.collection(name)`), embeddings,
 * models, chat (whole or streamed), LLMs, figures; the account's resources (./resources.ts);
 * and `vectra.api`, the typed client of every route, for what has no method here.
 */
import { CollectionClient } from './collection.js';
import { VectraConnectionError, type VectraError, errorFromEnvelope } from './errors.js';
import { type ApiClient, apiClient, dataOf, via } from './http.js';
import { sseEvents } from './sse.js';
import { type FetchLike, type RequestOptions, Transport, parseAnswer, readFailure } from './transport.js';
import { Collections, Conversations, Jobs, Keys, Webhooks } from './resources.js';
import type { ChatAnswer, ChatEvent, ChatRequest, Embedded, EventStats, LlmInfo, Metadata, ModelCatalogue, Registered, TenantStats } from './types.js';

export interface VectraOptions {
  /** The server, e.g. `http://localhost:8080`; '' in a page the server itself serves (same origin). */
  url: string;
  /** A `vk_…` key, sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Per attempt, until the whole answer is read (a stream: until it starts). Default 30 000; 0 = none. */
  timeoutMs?: number;
  /** Retries of a 429, a 503, or a network failure of a call safe to repeat. Default 2. */
  retries?: number;
  /** The first retry's wait (doubling for each next one, with jitter). Default 250. */
  retryDelayMs?: number;
  /** The longest wait between tries; a Retry-After asking for more fails the call instead. Default 30 000. */
  maxRetryDelayMs?: number;
  /** A fetch to use instead of the global one (called as fetch(url, init)). */
  fetch?: FetchLike;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** Hears of every refusal or failure a call rejects with, after its retries (e.g. sign out on a 401). */
  onError?: (error: VectraError) => void;
}

function transportFor(options: VectraOptions): Transport {
  return new Transport({
    url: options.url.replace(/\/+$/, ''),
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 30_000,
    retries: options.retries ?? 2,
    retryDelayMs: options.retryDelayMs ?? 250,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
    // Looked up at each call, not now: a fetch replaced later (a polyfill, a test's stand-in) is the one used.
    fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
    headers: options.headers ?? {},
    onError: options.onError,
  });
}

export class Vectra {
  /** The typed client of every route (openapi-fetch over this client's transport): `vectra.api.GET('/v1/stats')`. */
  readonly api: ApiClient;
  readonly collections: Collections;
  readonly keys: Keys;
  readonly webhooks: Webhooks;
  readonly conversations: Conversations;
  readonly jobs: Jobs;
  private readonly transport: Transport;

  constructor(options: VectraOptions) {
    this.transport = transportFor(options);
    this.api = apiClient(this.transport);
    this.collections = new Collections(this.transport, this.api);
    this.keys = new Keys(this.transport, this.api);
    this.webhooks = new Webhooks(this.transport, this.api);
    this.conversations = new Conversations(this.transport, this.api);
    this.jobs = new Jobs(this.transport, this.api);
  }

  /** Create a tenant: its first API key (with every scope) is in the answer, and shown only there. */
  static register(options: Omit<VectraOptions, 'apiKey'> & { name: string } & RequestOptions): Promise<Registered> {
    const transport = transportFor(options);
    return dataOf(apiClient(transport).POST('/v1/auth/register', { body: { name: options.name }, ...via(transport, options) }));
  }

  /** A collection's records, search, ingest, change feed and documents. `M` types the records' metadata. */
  collection<M extends Metadata = Metadata>(name: string): CollectionClient<M> {
    return new CollectionClient<M>(name, this.transport, this.api);
  }

  /** Vectors for texts, by a collection's model or `model` (default: the server's default model). */
  embed(texts: string | string[], options: RequestOptions & { model?: string } = {}): Promise<Embedded> {
    const body = { texts: typeof texts === 'string' ? [texts] : texts, ...(options.model === undefined ? {} : { model: options.model }) };
    return dataOf(this.api.POST('/v1/embed', { body, ...via(this.transport, options, true) }));
  }

  /** The embedding models and the rerankers this server offers. */
  models(options?: RequestOptions): Promise<ModelCatalogue> {
    return dataOf(this.api.GET('/v1/models', via(this.transport, options)));
  }

  /** The generators chat can answer with: `extractive` (always there) and the configured LLMs. */
  async llms(options?: RequestOptions): Promise<LlmInfo[]> {
    return (await dataOf(this.api.GET('/v1/llms', via(this.transport, options)))).llms;
  }

  /** This tenant's own figures: collections, records, disk and index bytes, its requests and their latency. */
  stats(options?: RequestOptions): Promise<TenantStats> {
    return dataOf(this.api.GET('/v1/stats', via(this.transport, options)));
  }

  /** Events published for this tenant since the server started, by type, and its subscribers' deliveries. */
  eventStats(options?: RequestOptions): Promise<EventStats> {
    return dataOf(this.api.GET('/v1/events/stats', via(this.transport, options)));
  }

  /** An answer grounded on collections, with `[n]` markers mapping to `citations`. */
  chat(request: ChatRequest, options?: RequestOptions): Promise<ChatAnswer> {
    return dataOf(this.api.POST('/v1/chat', { body: { ...request, stream: false }, ...via(this.transport, options) }));
  }

  /**
   * The same answer as it is written: `citations` first, then `delta`s of text (they concatenate
   * to the answer), then `done` with the whole answer. A failure before the first event is
   * thrown by the first `next()`; one mid-answer (an LLM breaking off) by the `next()` it stops.
   * The timeout runs until the first event; leaving the loop (or the signal) stops the answer.
   */
  async *chatStream(request: ChatRequest, options: RequestOptions = {}): AsyncGenerator<ChatEvent, void, undefined> {
    const opened = await this.transport.open(
      { method: 'POST', path: '/v1/chat', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ ...request, stream: true }), idempotent: false },
      options,
    );
    opened.stopTimer();
    try {
      for await (const event of sseEvents(opened.response.body!)) {
        if (!['citations', 'delta', 'done', 'error'].includes(event.event)) continue;
        const data = parseAnswer(event.data) as Record<string, unknown>;
        if (event.event === 'error') throw errorFromEnvelope(0, data);
        if (event.event === 'citations') yield { type: 'citations', citations: data.citations as ChatAnswer['citations'] };
        else if (event.event === 'delta') yield { type: 'delta', text: data.text as string };
        else if (event.event === 'done') {
          yield { type: 'done', answer: data as unknown as ChatAnswer };
          return;
        }
      }
      throw new VectraConnectionError('the answer stream closed before its done event', null, 'STREAM_ENDED');
    } catch (e) {
      throw readFailure(e, options.signal, 'the answer stream broke off');
    } finally {
      opened.close(true);
    }
  }
}
