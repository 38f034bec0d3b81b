/**
 * Transformer embedding models (ONNX, run in the embedding workers: onnx-runtime.ts).
 * Files are read from VECTRA_MODELS_DIR/<repo>/ when present, otherwise downloaded from the
 * Hugging Face hub on first use into <model cache>/<repo>/ (when allowed and the hub answers).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VectraError } from '../errors.js';
import type { OnnxSpec } from './onnx-runtime.js';
import type { EmbedPool } from './pool.js';
import { hubProbe } from './hub.js';
import type { Availability, EmbedOptions, EmbedPurpose, EmbeddingModel } from './types.js';

export type OnnxCatalogEntry = Pick<OnnxSpec, 'repo' | 'dimension' | 'pooling' | 'normalize' | 'queryPrefix' | 'documentPrefix' | 'maxTokens' | 'dtype'> & { description: string };

/** What an entry does not say: mean pooling, normalized, no prefixes, 512 tokens, fp32 weights. */
export const ONNX_DEFAULTS = { pooling: 'mean', normalize: true, queryPrefix: '', documentPrefix: '', maxTokens: 512, dtype: 'fp32' } as const;

/** The transformer models Vectra knows how to run (ids are Vectra's; repos are on the hub). */
export const ONNX_CATALOG: Record<string, OnnxCatalogEntry> = {
  'all-MiniLM-L6-v2': {
    ...ONNX_DEFAULTS, repo: 'Xenova/all-MiniLM-L6-v2', dimension: 384, maxTokens: 256,
    description: 'sentence-transformers all-MiniLM-L6-v2 (384-d, mean pooling)',
  },
  'bge-small-en-v1.5': {
    ...ONNX_DEFAULTS, repo: 'Xenova/bge-small-en-v1.5', dimension: 384, pooling: 'cls',
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    description: 'BAAI bge-small-en-v1.5 (384-d, CLS pooling, query instruction)',
  },
  'e5-small-v2': {
    ...ONNX_DEFAULTS, repo: 'Xenova/e5-small-v2', dimension: 384, queryPrefix: 'query: ', documentPrefix: 'passage: ',
    description: 'intfloat e5-small-v2 (384-d, mean pooling, "query: "/"passage: " prefixes)',
  },
  'nomic-embed-text-v1.5': {
    ...ONNX_DEFAULTS, repo: 'nomic-ai/nomic-embed-text-v1.5', dimension: 768, maxTokens: 2048,
    queryPrefix: 'search_query: ', documentPrefix: 'search_document: ',
    description: 'Nomic nomic-embed-text-v1.5 (768-d, mean pooling, task prefixes)',
  },
};

export interface OnnxPlacement {
  modelsDir: string | null;
  cacheDir: string;
  allowDownload: boolean;
  /** Where missing files are downloaded from: the Hugging Face hub or a mirror (VECTRA_MODEL_HUB). */
  hubUrl: string;
}

type Dtype = OnnxSpec['dtype'];

/** The files a model needs, relative to its repo directory: what transformers.js reads for this dtype. */
export function repoFiles(dtype: Dtype): string[] {
  const suffix = { fp32: '', q8: '_quantized', fp16: '_fp16' }[dtype];
  return ['config.json', 'tokenizer.json', `onnx/model${suffix}.onnx`];
}

/** `<modelsDir>/<repo>` or `<cacheDir>/<repo>` when it holds every file the model needs, else null. */
export function localRepoDir(placement: { modelsDir: string | null; cacheDir: string | null }, repo: string, dtype: Dtype): string | null {
  for (const dir of [placement.modelsDir, placement.cacheDir]) {
    if (dir !== null && repoFiles(dtype).every((f) => existsSync(join(dir, repo, f)))) return join(dir, repo);
  }
  return null;
}

/**
 * Whether an ONNX model (or reranker) can load here: its files are local, or downloads are on
 * and the hub answers (asked once, remembered: hub.ts). When not, `reason` says what to do.
 */
export async function onnxAvailability(what: string, placement: OnnxPlacement, repo: string, dtype: Dtype): Promise<Availability> {
  if (localRepoDir(placement, repo, dtype) !== null) return { available: true };
  // Named by variable, not by path: the answer goes to API clients, the server's layout stays its own.
  const putThem = `${placement.modelsDir === null ? 'set VECTRA_MODELS_DIR and ' : ''}put ${repoFiles(dtype).join(', ')} under VECTRA_MODELS_DIR/${repo}/`;
  if (!placement.allowDownload) return { available: false, reason: `${what} has no files on this server and downloads are off (VECTRA_MODEL_DOWNLOADS=off): ${putThem}, or allow downloads` };
  const hub = await hubProbe(placement.hubUrl).reach();
  if (hub.reachable) return { available: true };
  return { available: false, reason: `${what} has no files on this server and cannot be downloaded: ${placement.hubUrl} is unreachable (${hub.why}); ${putThem}, or let the server reach the hub (or a mirror: VECTRA_MODEL_HUB)` };
}

export class OnnxModel implements EmbeddingModel {
  readonly provider = 'onnx';
  readonly dimension: number;
  readonly description: string;
  private readonly spec: OnnxSpec;

  constructor(readonly id: string, entry: OnnxCatalogEntry, placement: OnnxPlacement, private readonly pool: EmbedPool) {
    this.dimension = entry.dimension;
    this.description = entry.description;
    const { description: _d, ...rest } = entry;
    this.spec = { id, ...rest, ...placement };
  }

  /** Where its files are, if anywhere on this machine. */
  localFiles(): string | null {
    return localRepoDir(this.spec, this.spec.repo, this.spec.dtype);
  }

  availability(): Promise<Availability> {
    return onnxAvailability(`model "${this.id}"`, this.spec, this.spec.repo, this.spec.dtype);
  }

  async embed(texts: string[], purpose: EmbedPurpose, options: EmbedOptions = {}): Promise<Float32Array[]> {
    const a = await this.availability();
    if (!a.available) throw new VectraError('MODEL_UNAVAILABLE', a.reason!);
    const prefix = purpose === 'query' ? this.spec.queryPrefix : this.spec.documentPrefix;
    try {
      return await this.pool.embed(`${this.id}\u0000${prefix}`, this.dimension, (batch) => ({ kind: 'onnx', spec: this.spec, texts: batch, purpose }), texts, options.cache);
    } catch (e) {
      const why = (e as Error).message;
      if (this.localFiles() === null) {
        throw new VectraError('MODEL_UNAVAILABLE', `model "${this.id}" could not be downloaded from ${this.spec.hubUrl} (${why}); put ${this.spec.repo} (${repoFiles(this.spec.dtype).join(', ')}) under VECTRA_MODELS_DIR/${this.spec.repo}/ instead`);
      }
      throw new VectraError('MODEL_UNAVAILABLE', `model "${this.id}" could not run: ${why}`);
    }
  }
}
