/**
 * Builds the model registry a server offers: the built-in GloVe models, the ONNX catalog,
 * and extra models declared in a JSON file (VECTRA_MODELS_CONFIG):
 *
 *   {"models": [
 *     {"id": "openai-small", "provider": "openai", "model": "text-embedding-3-small", "dimension": 1536},
 *     {"id": "local-llama", "provider": "openai", "baseUrl": "http://127.0.0.1:11434/v1", "model": "nomic-embed-text", "dimension": 768, "apiKeyEnv": ""},
 *     {"id": "cohere-en", "provider": "cohere", "model": "embed-english-v3.0", "dimension": 1024},
 *     {"id": "my-minilm", "provider": "onnx", "repo": "me/my-minilm", "dimension": 384, "pooling": "mean"},
 *     {"id": "my-reranker", "provider": "onnx", "task": "rerank", "repo": "me/my-cross-encoder"}
 *   ]}
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '../typebox.js';
import { ConfigError, DEFAULT_HUB_URL } from '../config.js';
import { BuiltinGloveModel, GloveSource } from './builtin.js';
import { ONNX_CATALOG, ONNX_DEFAULTS, OnnxModel, type OnnxPlacement } from './onnx.js';
import { EmbedPool } from './pool.js';
import { ModelRegistry } from './registry.js';
import { RemoteModel } from './remote.js';
import { RERANK_CATALOG, Reranker } from './rerank.js';
import { SIF_RECIPES } from './sif.js';
import { Thesaurus } from './thesaurus.js';
import type { EmbeddingModel } from './types.js';

export const DEFAULT_MODEL = 'glove-100d-v2';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$' });
const RemoteEntry = Type.Object(
  {
    id: Id,
    provider: Type.Union([Type.Literal('openai'), Type.Literal('cohere'), Type.Literal('huggingface')]),
    model: Type.String({ minLength: 1 }),
    dimension: Type.Integer({ minimum: 1, maximum: 65536 }),
    baseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    apiKeyEnv: Type.Optional(Type.String()),
    apiKey: Type.Optional(Type.String()),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
    description: Type.Optional(Type.String()),
    queryPrefix: Type.Optional(Type.String()),
    documentPrefix: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const OnnxEntry = Type.Object(
  {
    id: Id,
    provider: Type.Literal('onnx'),
    repo: Type.String({ minLength: 1 }),
    dimension: Type.Integer({ minimum: 1, maximum: 65536 }),
    pooling: Type.Optional(Type.Union([Type.Literal('mean'), Type.Literal('cls')])),
    normalize: Type.Optional(Type.Boolean()),
    queryPrefix: Type.Optional(Type.String()),
    documentPrefix: Type.Optional(Type.String()),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
    dtype: Type.Optional(Type.Union([Type.Literal('fp32'), Type.Literal('q8'), Type.Literal('fp16')])),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const RerankEntry = Type.Object(
  {
    id: Id,
    provider: Type.Literal('onnx'),
    task: Type.Literal('rerank'),
    repo: Type.String({ minLength: 1 }),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
    dtype: Type.Optional(Type.Union([Type.Literal('fp32'), Type.Literal('q8'), Type.Literal('fp16')])),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
/** An LLM chat answers with (src/rag/llm.ts builds it; declared here so one file configures every model). */
const LlmEntry = Type.Object(
  {
    id: Id,
    provider: Type.Union([Type.Literal('openai'), Type.Literal('gemini'), Type.Literal('anthropic')]),
    model: Type.String({ minLength: 1 }),
    baseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    apiKeyEnv: Type.Optional(Type.String()),
    apiKey: Type.Optional(Type.String()),
    contextTokens: Type.Optional(Type.Integer({ minimum: 512, maximum: 10_000_000 })),
    maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    streamUsage: Type.Optional(Type.Boolean()),
    maxTokensParam: Type.Optional(Type.Union([Type.Literal('max_tokens'), Type.Literal('max_completion_tokens')])),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type LlmEntry = Static<typeof LlmEntry>;
const ModelsFile = Type.Object(
  {
    default: Type.Optional(Type.String()),
    models: Type.Optional(Type.Array(Type.Union([RemoteEntry, OnnxEntry, RerankEntry]))),
    llms: Type.Optional(Type.Array(LlmEntry)),
    defaultLlm: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ModelsFile = Static<typeof ModelsFile>;

export interface ModelSetupOptions {
  /** Where the built-in model's converted vectors and downloaded models are cached. */
  cacheDir: string;
  /** Local transformer model files: <modelsDir>/<repo>/. */
  modelsDir: string | null;
  allowDownload: boolean;
  /** Where downloads come from (default: the Hugging Face hub). */
  hubUrl?: string;
  /** Path of a JSON file declaring extra models, or null. */
  modelsConfig: string | null;
  defaultModel: string | null;
  threads?: number;
  env?: NodeJS.ProcessEnv;
}

export async function readModelsFile(path: string): Promise<ModelsFile> {
  // typebox/value is ~680 modules: loaded only when there is a file to check, not at every start.
  const { Value } = await import('typebox/value');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`models config ${path}: ${(e as Error).message}`);
  }
  if (!Value.Check(ModelsFile, raw)) {
    const first = [...Value.Errors(ModelsFile, raw)][0];
    throw new ConfigError(`models config ${path}: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'}`);
  }
  return raw;
}

export interface Models {
  registry: ModelRegistry;
  /** Cross-encoder rerankers by id (catalog and config file). */
  rerankers: Map<string, Reranker>;
  /** The config file's LLMs and the one chat answers with by default (none: extractive). */
  llms: LlmEntry[];
  defaultLlm: string | null;
  pool: EmbedPool;
  /** Nearest words of the built-in model's vectors (query expansion), loaded on first use. */
  thesaurus(): Promise<Thesaurus>;
  close(): Promise<void>;
}

export async function setupModels(o: ModelSetupOptions): Promise<Models> {
  const pool = new EmbedPool({ threads: o.threads });
  const source = new GloveSource(o.cacheDir, pool);
  const builtins = SIF_RECIPES.map((r) => new BuiltinGloveModel(r, source, pool));
  const placement: OnnxPlacement = { modelsDir: o.modelsDir, cacheDir: join(o.cacheDir, 'hub'), allowDownload: o.allowDownload, hubUrl: o.hubUrl ?? DEFAULT_HUB_URL };
  const models: EmbeddingModel[] = [...builtins, ...Object.entries(ONNX_CATALOG).map(([id, e]) => new OnnxModel(id, e, placement, pool))];
  const file = o.modelsConfig ? await readModelsFile(o.modelsConfig) : null;
  const rerankers = new Map(Object.entries(RERANK_CATALOG).map(([id, e]) => [id, new Reranker(id, e, placement, pool)]));
  for (const m of file?.models ?? []) {
    if (models.some((x) => x.id === m.id) || rerankers.has(m.id)) throw new ConfigError(`models config: model id "${m.id}" is already taken`);
    if ('task' in m) {
      rerankers.set(m.id, new Reranker(m.id, { repo: m.repo, maxTokens: m.maxTokens ?? 512, dtype: m.dtype ?? 'fp32', description: m.description ?? `ONNX cross-encoder ${m.repo}` }, placement, pool));
    } else if (m.provider === 'onnx') {
      const { id, provider: _p, description, ...rest } = m;
      models.push(new OnnxModel(id, { ...ONNX_DEFAULTS, description: description ?? `ONNX ${m.repo}`, ...rest }, placement, pool));
    } else {
      models.push(new RemoteModel(m, pool, o.env));
    }
  }
  const defaultId = o.defaultModel ?? file?.default ?? DEFAULT_MODEL;
  if (!models.some((m) => m.id === defaultId)) throw new ConfigError(`default model "${defaultId}" is not a known model (${models.map((m) => m.id).join(', ')})`);
  const registry = new ModelRegistry(models, defaultId);
  const llms = file?.llms ?? [];
  const llmIds = new Set<string>();
  for (const l of llms) {
    if (l.id === 'extractive' || llmIds.has(l.id)) throw new ConfigError(`models config: llm id "${l.id}" is already taken`);
    // Sources need room: at least 256 tokens beside the answer's (src/rag/prompt.ts fits them in).
    const context = l.contextTokens ?? 8192;
    const answer = l.maxOutputTokens ?? 1024;
    if (answer > context - 256) throw new ConfigError(`models config: llm "${l.id}": maxOutputTokens ${answer} leaves no room for the sources in contextTokens ${context}; keep maxOutputTokens ≤ contextTokens − 256`);
    llmIds.add(l.id);
  }
  const defaultLlm = file?.defaultLlm ?? null;
  if (defaultLlm !== null && defaultLlm !== 'extractive' && !llmIds.has(defaultLlm)) throw new ConfigError(`models config: defaultLlm "${defaultLlm}" is not among its llms (${['extractive', ...llmIds].join(', ')})`);
  let thesaurus: Promise<Thesaurus> | null = null;
  return { registry, rerankers, llms, defaultLlm, pool, thesaurus: () => (thesaurus ??= source.load().then((g) => Thesaurus.ofShared(g))), close: () => pool.close() };
}
