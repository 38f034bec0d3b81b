/**
 * Remote embedding providers, each spoken in its documented wire format:
 *
 * - `openai`: OpenAI-compatible `POST {baseUrl}/embeddings` — OpenAI, Ollama, vLLM, LM Studio
 *   (https://platform.openai.com/docs/api-reference/embeddings).
 * - `cohere`: `POST {baseUrl}/v2/embed` with `input_type` search_query / search_document
 *   (https://docs.cohere.com/reference/embed).
 * - `huggingface`: Inference `POST {baseUrl}/{model}/pipeline/feature-extraction` with
 *   `{"inputs": [...]}` (https://huggingface.co/docs/inference-providers).
 *
 * Keys come from the environment (or config) and are sent only to the provider: never
 * logged, never returned, never part of an error message. 429 and 5xx answers and network
 * failures are retried with exponential backoff (honouring Retry-After); texts are sent in
 * batches of the provider's limit. Vectors are L2-normalized like every model's.
 */
import { VectraError } from '../errors.js';
import { normalized as unitLength } from '../vector/math.js';
import type { EmbedPool } from './pool.js';
import { DEFAULT_RETRY, postJson, type RetryPolicy, UpstreamError as Upstream } from '../upstream.js';
import type { Availability, EmbedOptions, EmbedPurpose, EmbeddingModel } from './types.js';

export type RemoteProvider = 'openai' | 'cohere' | 'huggingface';

export interface RemoteModelConfig {
  id: string;
  provider: RemoteProvider;
  /** The provider's model name. */
  model: string;
  dimension: number;
  baseUrl?: string;
  /** Name of the environment variable holding the key (default per provider; none for a keyless local server). */
  apiKeyEnv?: string;
  /** A key given in the config file itself (the environment variable is preferred). */
  apiKey?: string;
  batchSize?: number;
  description?: string;
  queryPrefix?: string;
  documentPrefix?: string;
}

const DEFAULTS: Record<RemoteProvider, { baseUrl: string; keyEnv: string; batch: number }> = {
  openai: { baseUrl: 'https://api.openai.com/v1', keyEnv: 'OPENAI_API_KEY', batch: 512 },
  cohere: { baseUrl: 'https://api.cohere.com', keyEnv: 'COHERE_API_KEY', batch: 96 },
  huggingface: { baseUrl: 'https://router.huggingface.co/hf-inference/models', keyEnv: 'HF_TOKEN', batch: 32 },
};

function normalized(values: unknown, dimension: number, what: string): Float32Array {
  if (!Array.isArray(values) || values.length !== dimension || !values.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Upstream(`${what}: expected ${dimension} numbers per vector`, false);
  }
  return unitLength(Float32Array.from(values as number[]));
}

export class RemoteModel implements EmbeddingModel {
  readonly dimension: number;
  readonly provider: string;
  readonly description: string;
  readonly id: string;
  private readonly baseUrl: string;
  private readonly keyEnv: string | null;
  private readonly batchSize: number;

  constructor(
    private readonly cfg: RemoteModelConfig,
    private readonly pool: EmbedPool,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    const d = DEFAULTS[cfg.provider];
    this.id = cfg.id;
    this.dimension = cfg.dimension;
    this.provider = cfg.provider;
    this.description = cfg.description ?? `${cfg.provider} ${cfg.model}`;
    this.baseUrl = (cfg.baseUrl ?? d.baseUrl).replace(/\/+$/, '');
    this.keyEnv = cfg.apiKeyEnv === undefined ? d.keyEnv : cfg.apiKeyEnv || null;
    this.batchSize = cfg.batchSize ?? d.batch;
  }

  private key(): string | null {
    return (this.keyEnv ? this.env[this.keyEnv] : undefined) || this.cfg.apiKey || null;
  }

  /** OpenAI-compatible servers on a custom URL (Ollama, vLLM, LM Studio) may need no key. */
  private hasCredentials(): boolean {
    return this.key() !== null || (this.cfg.provider === 'openai' && this.cfg.baseUrl !== undefined);
  }

  async availability(): Promise<Availability> {
    if (this.hasCredentials()) return { available: true };
    return { available: false, reason: `model "${this.id}" needs an API key for ${this.cfg.provider}: set ${this.keyEnv ?? 'apiKeyEnv in the models config'}` };
  }

  async embed(texts: string[], purpose: EmbedPurpose, options: EmbedOptions = {}): Promise<Float32Array[]> {
    const a = await this.availability();
    if (!a.available) throw new VectraError('MODEL_UNAVAILABLE', a.reason!);
    const prefix = (purpose === 'query' ? this.cfg.queryPrefix : this.cfg.documentPrefix) ?? '';
    try {
      return await this.pool.embedWith(`${this.id}\u0000${purpose}`, this.dimension, (batch) => this.call(batch.map((t) => prefix + t), purpose), texts, this.batchSize, 1, options.cache);
    } catch (e) {
      if (e instanceof Upstream) throw new VectraError('MODEL_UNAVAILABLE', `model "${this.id}" (${this.cfg.provider}) failed: ${e.message}`);
      throw e;
    }
  }

  private request(texts: string[], purpose: EmbedPurpose): { url: string; body: unknown; parse: (json: unknown) => unknown[] } {
    const m = this.cfg.model;
    switch (this.cfg.provider) {
      case 'openai':
        return {
          url: `${this.baseUrl}/embeddings`,
          body: { model: m, input: texts, encoding_format: 'float' },
          parse: (j) => {
            const data = (j as { data?: { index: number; embedding: unknown }[] }).data;
            if (!Array.isArray(data) || data.length !== texts.length) throw new Upstream('answer has no data[] of the right length', false);
            const out = new Array<unknown>(texts.length);
            for (const d of data) out[d.index] = d.embedding;
            return out;
          },
        };
      case 'cohere':
        return {
          url: `${this.baseUrl}/v2/embed`,
          body: { model: m, texts, input_type: purpose === 'query' ? 'search_query' : 'search_document', embedding_types: ['float'] },
          parse: (j) => {
            const e = (j as { embeddings?: { float?: unknown[] } }).embeddings?.float;
            if (!Array.isArray(e) || e.length !== texts.length) throw new Upstream('answer has no embeddings.float[] of the right length', false);
            return e;
          },
        };
      case 'huggingface':
        return {
          url: `${this.baseUrl}/${m}/pipeline/feature-extraction`,
          body: { inputs: texts },
          parse: (j) => {
            if (!Array.isArray(j) || j.length !== texts.length) throw new Upstream('answer is not one vector per input', false);
            return j;
          },
        };
    }
  }

  private async call(texts: string[], purpose: EmbedPurpose): Promise<Float32Array> {
    const { url, body, parse } = this.request(texts, purpose);
    const key = this.key();
    const rows = parse(await postJson(url, key ? { authorization: `Bearer ${key}` } : {}, body, this.retry));
    const out = new Float32Array(texts.length * this.dimension);
    rows.forEach((r, i) => out.set(normalized(r, this.dimension, "the answer"), i * this.dimension));
    return out;
  }
}
