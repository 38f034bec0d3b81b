/**
 * Transformer sentence models through @huggingface/transformers on onnxruntime-node. This
 * module runs inside the embedding workers (pool.ts); one pipeline per model per worker,
 * each ONNX session on one intra-op thread so that the pool, not ONNX, spreads work over
 * the cores.
 */
import { localRepoDir } from './onnx.js';
import type { EmbedPurpose } from './types.js';

export interface OnnxSpec {
  /** Vectra's model id. */
  id: string;
  /** Directory name under `modelsDir` / `cacheDir`, in Hugging Face form ("Xenova/all-MiniLM-L6-v2"). */
  repo: string;
  dimension: number;
  pooling: 'mean' | 'cls';
  normalize: boolean;
  queryPrefix: string;
  documentPrefix: string;
  maxTokens: number;
  /** ONNX file variant: "fp32" → onnx/model.onnx, "q8" → onnx/model_quantized.onnx. */
  dtype: 'fp32' | 'q8' | 'fp16';
  /** Local model files, tried first: `<modelsDir>/<repo>/`. */
  modelsDir: string | null;
  /** Where downloaded models are kept: `<cacheDir>/<repo>/`. */
  cacheDir: string;
  allowDownload: boolean;
  /** The Hugging Face hub, or a mirror: where missing files are downloaded from. */
  hubUrl: string;
}

interface Loaded {
  tokenizer: (texts: string[], opts: Record<string, unknown>) => Record<string, unknown> & { attention_mask: unknown };
  model: (inputs: Record<string, unknown>) => Promise<{ last_hidden_state?: Tensor; token_embeddings?: Tensor }>;
  meanPooling: (hidden: Tensor, mask: unknown) => Tensor;
}
interface Tensor {
  data: Float32Array;
  dims: number[];
  slice(...a: (number | null)[]): Tensor;
  normalize(p: number, dim: number): Tensor;
}

const loaded = new Map<string, Promise<Loaded>>();

/** Where a model's files come from (see onnx.ts), as transformers.js settings; the options for from_pretrained. */
async function placeFiles(spec: Pick<OnnxSpec, 'repo' | 'modelsDir' | 'cacheDir' | 'allowDownload' | 'hubUrl' | 'dtype'>) {
  const transformers = await import('@huggingface/transformers');
  const { env } = transformers;
  const local = spec.modelsDir !== null && localRepoDir({ modelsDir: spec.modelsDir, cacheDir: null }, spec.repo, spec.dtype) !== null;
  // Local files come from modelsDir; anything fetched goes to (and is read back from) cacheDir.
  env.allowLocalModels = local;
  if (local) env.localModelPath = spec.modelsDir!;
  env.cacheDir = spec.cacheDir;
  env.remoteHost = spec.hubUrl;
  env.allowRemoteModels = !local && spec.allowDownload;
  const opts = { local_files_only: !env.allowRemoteModels };
  const modelOpts = { ...opts, dtype: spec.dtype, session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } } as never;
  return { transformers, tokenizer: await transformers.AutoTokenizer.from_pretrained(spec.repo, opts), modelOpts };
}

/** The model loaded under `id`, loading it on first use. A failed load is not kept: files may appear, the network may come back. */
function loadOnce<T>(cache: Map<string, Promise<T>>, id: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(id);
  if (!p) {
    p = load();
    cache.set(id, p);
    p.catch(() => cache.delete(id));
  }
  return p;
}

async function load(spec: OnnxSpec): Promise<Loaded> {
  const { transformers, tokenizer, modelOpts } = await placeFiles(spec);
  const model = await transformers.AutoModel.from_pretrained(spec.repo, modelOpts);
  return { tokenizer: tokenizer as never, model: model as never, meanPooling: transformers.mean_pooling as never };
}

export async function onnxEmbed(spec: OnnxSpec, texts: string[], purpose: EmbedPurpose): Promise<Float32Array> {
  const m = await loadOnce(loaded, spec.id, () => load(spec));
  const prefix = purpose === 'query' ? spec.queryPrefix : spec.documentPrefix;
  const inputs = m.tokenizer(prefix ? texts.map((t) => prefix + t) : texts, { padding: true, truncation: true, max_length: spec.maxTokens });
  const outputs = await m.model(inputs);
  const hidden = outputs.last_hidden_state ?? outputs.token_embeddings;
  if (!hidden) throw new Error(`model ${spec.id} has no last_hidden_state output`);
  let out = spec.pooling === 'mean' ? m.meanPooling(hidden, inputs.attention_mask) : hidden.slice(null, 0);
  if (spec.normalize) out = out.normalize(2, -1);
  if (out.dims[out.dims.length - 1] !== spec.dimension) {
    throw new Error(`model ${spec.id} produced ${out.dims[out.dims.length - 1]}-dimensional vectors, expected ${spec.dimension}`);
  }
  return Float32Array.from(out.data);
}

/** A cross-encoder: scores (query, passage) pairs from the model's `logits`. */
export interface RerankSpec {
  id: string;
  repo: string;
  maxTokens: number;
  dtype: 'fp32' | 'q8' | 'fp16';
  modelsDir: string | null;
  cacheDir: string;
  allowDownload: boolean;
  hubUrl: string;
}

interface LoadedReranker {
  tokenizer: (texts: string[], opts: Record<string, unknown>) => Record<string, unknown>;
  model: (inputs: Record<string, unknown>) => Promise<{ logits: Tensor }>;
}

const rerankers = new Map<string, Promise<LoadedReranker>>();

async function loadReranker(spec: RerankSpec): Promise<LoadedReranker> {
  const { transformers, tokenizer, modelOpts } = await placeFiles(spec);
  const model = await transformers.AutoModelForSequenceClassification.from_pretrained(spec.repo, modelOpts);
  return { tokenizer: tokenizer as never, model: model as never };
}

/**
 * Relevance of each passage to the query: the model's logit (one output), or the log-odds of
 * its last class (two outputs, as "not relevant / relevant" classifiers have). Higher is better.
 */
export async function onnxRerank(spec: RerankSpec, query: string, passages: string[]): Promise<Float32Array> {
  const m = await loadOnce(rerankers, spec.id, () => loadReranker(spec));
  const inputs = m.tokenizer(passages.map(() => query), { text_pair: passages, padding: true, truncation: true, max_length: spec.maxTokens });
  const { logits } = await m.model(inputs);
  const classes = logits.dims[logits.dims.length - 1];
  const out = new Float32Array(passages.length);
  for (let i = 0; i < passages.length; i++) {
    out[i] = classes === 1 ? logits.data[i] : logits.data[i * classes + classes - 1] - logits.data[i * classes];
  }
  return out;
}
