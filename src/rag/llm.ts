/**
 * LLM providers behind one interface, each spoken in its own documented wire format and always
 * streamed (a non-streamed answer is the stream, gathered):
 *
 * - `openai`: OpenAI-compatible `POST {baseUrl}/chat/completions` with `stream: true` — OpenAI,
 *   Ollama, vLLM, LM Studio, llama.cpp's server, Mistral
 *   (https://platform.openai.com/docs/api-reference/chat-streaming): `data: {chunk}` lines,
 *   `choices[0].delta.content`, usage in the last chunk (`stream_options.include_usage`),
 *   `data: [DONE]`.
 * - `gemini`: `POST {baseUrl}/v1beta/models/{model}:streamGenerateContent?alt=sse`, key in
 *   `x-goog-api-key` (https://ai.google.dev/api/generate-content): each event a
 *   GenerateContentResponse, `candidates[0].content.parts[].text`, `usageMetadata`.
 * - `anthropic`: `POST {baseUrl}/v1/messages` with `stream: true`, `x-api-key` and
 *   `anthropic-version: 2023-06-01` (https://docs.anthropic.com/en/api/messages-streaming):
 *   `message_start`, `content_block_delta` (`text_delta`), `message_delta` (usage),
 *   `message_stop`, `error`.
 *
 * Keys come from the environment (or the config file) and go only to the provider: never
 * logged, returned or put in a message. Getting the answer started is retried on 429/5xx and
 * network failures with backoff (src/upstream.ts); once text has streamed, a failure — a
 * broken connection, an `error` event, silence longer than the timeout, a stream that ends
 * without its end marker — ends the answer with an error (the caller's stream gets an `error`
 * event), never a silently cut answer.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { VectraError } from '../errors.js';
import { backoff, DEFAULT_RETRY, postWithRetries, redact, type RetryPolicy, UpstreamError } from '../upstream.js';

export type LlmProvider = 'openai' | 'gemini' | 'anthropic';

/** One entry of the models config file's `llms` (validated at start: src/embed/setup.ts). */
export interface LlmConfig {
  id: string;
  provider: LlmProvider;
  /** The provider's model name. */
  model: string;
  baseUrl?: string;
  /** Name of the environment variable holding the key (default per provider; "" for a keyless local server). */
  apiKeyEnv?: string;
  /** A key in the config file itself (the environment variable is preferred). */
  apiKey?: string;
  /** The model's context window in tokens (default 8,192): sources and history are fitted into it. */
  contextTokens?: number;
  /** Longest answer asked for, in tokens (default 1,024). */
  maxOutputTokens?: number;
  temperature?: number;
  /** Per try until the answer starts, and the longest silence once it streams (default 60 s). */
  timeoutMs?: number;
  /** openai: ask for usage in the stream (`stream_options`; default true — Mistral refuses it: false). */
  streamUsage?: boolean;
  /** openai: the name of the answer-length field (default `max_completion_tokens` on api.openai.com, which its newer models require; `max_tokens` elsewhere). */
  maxTokensParam?: 'max_tokens' | 'max_completion_tokens';
  description?: string;
}

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  system: string;
  messages: LlmMessage[];
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface Generation {
  text: string;
  /** As the provider reported it; null when it reported none. */
  usage: Usage | null;
  finishReason: string;
}

export interface Llm {
  readonly id: string;
  readonly provider: string;
  readonly contextTokens: number;
  readonly maxOutputTokens: number;
  availability(): { available: boolean; reason?: string };
  /** Streams the answer's text to `onDelta` as it comes; answers the whole of it. */
  generate(req: GenerateRequest, onDelta: (text: string) => void): Promise<Generation>;
}

const DEFAULTS: Record<LlmProvider, { baseUrl: string; keyEnv: string }> = {
  openai: { baseUrl: 'https://api.openai.com/v1', keyEnv: 'OPENAI_API_KEY' },
  gemini: { baseUrl: 'https://generativelanguage.googleapis.com', keyEnv: 'GEMINI_API_KEY' },
  anthropic: { baseUrl: 'https://api.anthropic.com', keyEnv: 'ANTHROPIC_API_KEY' },
};

/** Consecutive messages of one role merged, starting with the user's (Anthropic and Gemini require both). */
export function alternating(messages: LlmMessage[]): LlmMessage[] {
  const out: LlmMessage[] = [];
  for (const m of messages) {
    if (out.length === 0 && m.role !== 'user') continue;
    const last = out[out.length - 1];
    if (last && last.role === m.role) last.content += `\n\n${m.content}`;
    else out.push({ ...m });
  }
  return out;
}

interface WireCall {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** Reads one event; answers true once the stream's end marker came. */
  onEvent(e: EventSourceMessage, out: StreamState): boolean;
  /** A provider that answered plain JSON instead of a stream (some OpenAI-compatible servers). */
  onJson?(json: unknown, out: StreamState): void;
}

interface StreamState {
  text: string;
  usage: Usage | null;
  finishReason: string;
  /** A finish reason came: a stream that then ends without its end marker is complete. */
  finished: boolean;
  delta(text: string): void;
}

function parsed(data: string): Record<string, any> {
  try {
    return JSON.parse(data) as Record<string, any>;
  } catch {
    throw new UpstreamError('streamed an event that is not JSON', false);
  }
}

/** An error event in the stream: retryable (overloaded, internal) — if no text has come yet. */
function errorIn(json: Record<string, any>, secrets: string[]): void {
  if (json.error) throw new UpstreamError(`reported an error in the stream: ${redact(String(json.error.message ?? json.error.type ?? JSON.stringify(json.error)).slice(0, 300), secrets)}`, true);
}

/** Finish reasons that mean the provider withheld the answer: an error, as Gemini's SAFETY is. */
const WITHHELD = /^(content_filter|refusal|SAFETY|RECITATION|BLOCKLIST|PROHIBITED_CONTENT|SPII|OTHER|MALFORMED_FUNCTION_CALL)$/;

export class RemoteLlm implements Llm {
  readonly id: string;
  readonly provider: LlmProvider;
  readonly contextTokens: number;
  readonly maxOutputTokens: number;
  readonly description: string;
  private readonly baseUrl: string;
  private readonly keyEnv: string | null;
  private readonly retry: RetryPolicy;
  private readonly maxTokensParam: 'max_tokens' | 'max_completion_tokens';

  constructor(
    private readonly cfg: LlmConfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
    retry: Partial<RetryPolicy> = {},
  ) {
    const d = DEFAULTS[cfg.provider];
    this.id = cfg.id;
    this.provider = cfg.provider;
    this.contextTokens = cfg.contextTokens ?? 8192;
    this.maxOutputTokens = cfg.maxOutputTokens ?? 1024;
    this.description = cfg.description ?? `${cfg.provider} ${cfg.model}`;
    this.baseUrl = (cfg.baseUrl ?? d.baseUrl).replace(/\/+$/, '');
    this.keyEnv = cfg.apiKeyEnv === undefined ? d.keyEnv : cfg.apiKeyEnv || null;
    this.retry = { ...DEFAULT_RETRY, timeoutMs: cfg.timeoutMs ?? 60_000, ...retry };
    this.maxTokensParam = cfg.maxTokensParam ?? (cfg.baseUrl === undefined ? 'max_completion_tokens' : 'max_tokens');
  }

  /** What must never appear in a message: the key. */
  private secrets(): string[] {
    const k = this.key();
    return k ? [k] : [];
  }

  private key(): string | null {
    return (this.keyEnv ? this.env[this.keyEnv] : undefined) || this.cfg.apiKey || null;
  }

  availability(): { available: boolean; reason?: string } {
    // A local OpenAI-compatible server (Ollama, vLLM, llama.cpp) on a custom URL may need no key.
    if (this.key() !== null || (this.provider === 'openai' && this.cfg.baseUrl !== undefined) || this.keyEnv === null) return { available: true };
    return { available: false, reason: `llm "${this.id}" needs an API key for ${this.provider}: set ${this.keyEnv}` };
  }

  private wire(req: GenerateRequest): WireCall {
    const key = this.key();
    const model = this.cfg.model;
    const maxTokens = req.maxTokens ?? this.maxOutputTokens;
    const temperature = req.temperature ?? this.cfg.temperature;
    const messages = alternating(req.messages);
    switch (this.provider) {
      case 'openai':
        return {
          url: `${this.baseUrl}/chat/completions`,
          headers: key ? { authorization: `Bearer ${key}` } : {},
          body: {
            model,
            messages: [...(req.system ? [{ role: 'system', content: req.system }] : []), ...req.messages],
            [this.maxTokensParam]: maxTokens,
            ...(temperature !== undefined ? { temperature } : {}),
            stream: true,
            ...(this.cfg.streamUsage === false ? {} : { stream_options: { include_usage: true } }),
          },
          onEvent: (e, out) => {
            if (e.data.trim() === '[DONE]') return true;
            const j = parsed(e.data);
            errorIn(j, this.secrets());
            const choice = j.choices?.[0];
            if (typeof choice?.delta?.content === 'string' && choice.delta.content) out.delta(choice.delta.content);
            if (choice?.finish_reason) {
              out.finishReason = String(choice.finish_reason);
              out.finished = true;
              if (WITHHELD.test(out.finishReason)) throw new UpstreamError(`withheld the answer (${out.finishReason})`, false);
            }
            if (j.usage) out.usage = { promptTokens: Number(j.usage.prompt_tokens ?? 0), completionTokens: Number(j.usage.completion_tokens ?? 0) };
            return false;
          },
          onJson: (j, out) => {
            const c = (j as Record<string, any>).choices?.[0];
            if (typeof c?.message?.content !== 'string') throw new UpstreamError('answered JSON without choices[0].message.content', false);
            out.delta(c.message.content);
            out.finishReason = String(c.finish_reason ?? 'stop');
            const u = (j as Record<string, any>).usage;
            if (u) out.usage = { promptTokens: Number(u.prompt_tokens ?? 0), completionTokens: Number(u.completion_tokens ?? 0) };
          },
        };
      case 'gemini':
        return {
          url: `${this.baseUrl}/v1beta/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`,
          headers: key ? { 'x-goog-api-key': key } : {},
          body: {
            contents: messages.map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] })),
            ...(req.system ? { systemInstruction: { parts: [{ text: req.system }] } } : {}),
            generationConfig: { maxOutputTokens: maxTokens, ...(temperature !== undefined ? { temperature } : {}) },
          },
          onEvent: (e, out) => {
            const j = parsed(e.data);
            errorIn(j, this.secrets());
            if (j.promptFeedback?.blockReason) throw new UpstreamError(`refused the prompt (${j.promptFeedback.blockReason})`, false);
            const cand = j.candidates?.[0];
            const text = Array.isArray(cand?.content?.parts) ? cand.content.parts.map((p: { text?: unknown }) => (typeof p.text === 'string' ? p.text : '')).join('') : '';
            if (text) out.delta(text);
            if (j.usageMetadata) out.usage = { promptTokens: Number(j.usageMetadata.promptTokenCount ?? 0), completionTokens: Number(j.usageMetadata.candidatesTokenCount ?? 0) };
            if (cand?.finishReason) {
              out.finishReason = String(cand.finishReason);
              if (WITHHELD.test(out.finishReason) || !['STOP', 'MAX_TOKENS'].includes(out.finishReason)) throw new UpstreamError(`withheld the answer (${out.finishReason})`, false);
              return true;
            }
            return false;
          },
        };
      case 'anthropic':
        return {
          url: `${this.baseUrl}/v1/messages`,
          headers: { ...(key ? { 'x-api-key': key } : {}), 'anthropic-version': '2023-06-01' },
          body: { model, max_tokens: maxTokens, ...(req.system ? { system: req.system } : {}), messages, ...(temperature !== undefined ? { temperature } : {}), stream: true },
          onEvent: (e, out) => {
            const j = parsed(e.data);
            const type = e.event ?? j.type;
            if (type === 'error') errorIn(j, this.secrets());
            if (type === 'message_start') out.usage = { promptTokens: Number(j.message?.usage?.input_tokens ?? 0), completionTokens: Number(j.message?.usage?.output_tokens ?? 0) };
            if (type === 'content_block_delta' && j.delta?.type === 'text_delta' && typeof j.delta.text === 'string') out.delta(j.delta.text);
            if (type === 'message_delta') {
              if (j.delta?.stop_reason) {
                out.finishReason = String(j.delta.stop_reason);
                if (WITHHELD.test(out.finishReason)) throw new UpstreamError(`withheld the answer (${out.finishReason})`, false);
              }
              if (j.usage?.output_tokens !== undefined) out.usage = { promptTokens: out.usage?.promptTokens ?? 0, completionTokens: Number(j.usage.output_tokens) };
            }
            return type === 'message_stop';
          },
        };
    }
  }

  /**
   * The answer, streamed to `onDelta`. A failure before any text (a refusal to start, an error
   * event or a broken connection before the first delta) is retried like a failure to connect:
   * nothing has reached the caller yet. Once text has come, a failure ends the answer.
   */
  async generate(req: GenerateRequest, onDelta: (text: string) => void): Promise<Generation> {
    const a = this.availability();
    if (!a.available) throw new VectraError('LLM_UNAVAILABLE', a.reason!);
    const call = this.wire(req);
    for (let attempt = 1; ; attempt++) {
      const out: StreamState = { text: '', usage: null, finishReason: 'stop', finished: false, delta: (t) => ((out.text += t), onDelta(t)) };
      try {
        const res = await postWithRetries(call.url, { accept: 'text/event-stream', ...call.headers }, call.body, this.retry, req.signal);
        if (call.onJson && (res.headers.get('content-type') ?? '').includes('application/json')) {
          call.onJson(await res.json().catch(() => ({})), out);
        } else {
          await this.read(res, call, out, req.signal);
        }
        return { text: out.text, usage: out.usage, finishReason: out.finishReason };
      } catch (e) {
        if (req.signal?.aborted) throw req.signal.reason;
        if (e instanceof UpstreamError && e.retryable && out.text === '' && attempt < this.retry.attempts) {
          await backoff(this.retry, attempt, e, req.signal);
          continue;
        }
        if (e instanceof UpstreamError) throw new VectraError('LLM_UNAVAILABLE', `llm "${this.id}" (${this.provider}) failed: ${e.message}${out.text ? ' (mid-answer)' : ''}`);
        throw e;
      }
    }
  }

  /** Reads the event stream to its end marker; silence longer than the timeout is a failure. */
  private async read(res: Response, call: WireCall, out: StreamState, signal?: AbortSignal): Promise<void> {
    if (!res.body) throw new UpstreamError('answered without a body', false);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let ended = false;
    let failure: unknown = null;
    const parser = createParser({
      onEvent: (e) => {
        if (ended || failure) return;
        try {
          ended = call.onEvent(e, out);
        } catch (err) {
          failure = err;
        }
      },
    });
    let idle: NodeJS.Timeout | undefined;
    let timedOut = false;
    const onAbort = () => void reader.cancel().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      while (!ended && !failure) {
        idle = setTimeout(() => ((timedOut = true), void reader.cancel().catch(() => undefined)), this.retry.timeoutMs);
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (signal?.aborted) throw signal.reason;
          throw new UpstreamError(`the stream broke (${(e as Error).name})`, true);
        } finally {
          clearTimeout(idle);
        }
        if (signal?.aborted) throw signal.reason;
        if (timedOut) throw new UpstreamError(`went silent for ${this.retry.timeoutMs} ms`, true);
        if (chunk.done) break;
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
      if (failure) throw failure;
      // An OpenAI-compatible server may close after its finish_reason without `data: [DONE]`.
      if (!ended && !out.finished) throw new UpstreamError('the stream ended before the answer did', true);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!ended || failure) await reader.cancel().catch(() => undefined);
    }
  }
}

export interface LlmInfo {
  id: string;
  provider: string;
  default?: boolean;
  available: boolean;
  reason?: string;
  contextTokens?: number;
}

export const EXTRACTIVE = 'extractive';

/** The configured LLMs and the built-in extractive generator; which one answers by default. */
export class LlmRegistry {
  private readonly byId: Map<string, Llm>;
  readonly defaultId: string;

  constructor(llms: Llm[], defaultId: string | null = null) {
    this.byId = new Map(llms.map((l) => [l.id, l]));
    if (this.byId.has(EXTRACTIVE)) throw new Error(`llm id "${EXTRACTIVE}" is the built-in generator's`);
    this.defaultId = defaultId ?? EXTRACTIVE;
    if (this.defaultId !== EXTRACTIVE && !this.byId.has(this.defaultId)) throw new Error(`default llm "${this.defaultId}" is not a configured llm (${[EXTRACTIVE, ...this.byId.keys()].join(', ')})`);
  }

  list(): LlmInfo[] {
    const all: LlmInfo[] = [{ id: EXTRACTIVE, provider: 'builtin', available: true }];
    for (const l of this.byId.values()) {
      const a = l.availability();
      all.push({ id: l.id, provider: l.provider, available: a.available, ...(a.reason ? { reason: a.reason } : {}), contextTokens: l.contextTokens });
    }
    return all.map((l) => (l.id === this.defaultId ? { ...l, default: true } : l));
  }

  /** The LLM by id, or null for the extractive generator; a clear 400 for an unknown id. */
  resolve(id: string | undefined): Llm | null {
    const want = id ?? this.defaultId;
    if (want === EXTRACTIVE) return null;
    const l = this.byId.get(want);
    if (!l) throw new VectraError('LLM_NOT_FOUND', `llm "${want}" is not configured here; GET /v1/llms lists them (available: ${[EXTRACTIVE, ...this.byId.keys()].join(', ')})`);
    return l;
  }
}
