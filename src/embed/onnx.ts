/**
 * Transformer embedding models (ONNX, run in the embedding workers: onnx-runtime.ts).
 * Files are read from VECTRA_MODELS_DIR/<repo>/ when present, otherwise downloaded from the
 * Hugging Face hub on first use into <model cache>/<repo>/ (when the network allows it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VectraError } from '../errors.js';
import type { OnnxSpec } from './onnx-runtime.js';
import type { EmbedPool } from './pool.js';
import type { EmbedOptions, EmbedPurpose, EmbeddingModel } from './types.js';

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
}

/** `<modelsDir>/<repo>` or `<cacheDir>/<repo>` when it holds a config.json, else null. */
export function localRepoDir(placement: Pick<OnnxPlacement, 'modelsDir' | 'cacheDir'>, repo: string): string | null {
  for (const dir of [placement.modelsDir, placement.cacheDir]) {
    if (dir !== null && existsSync(join(dir, repo, 'config.json'))) return join(dir, repo);
  }
  return null;
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
    return localRepoDir(this.spec, this.spec.repo);
  }

  available(): boolean {
    return this.spec.allowDownload || this.localFiles() !== null;
  }

  async embed(texts: string[], purpose: EmbedPurpose, options: EmbedOptions = {}): Promise<Float32Array[]> {
    if (!this.available()) {
      throw new VectraError(
        'MODEL_UNAVAILABLE',
        `model "${this.id}" has no files here: put ${this.spec.repo} (config.json, tokenizer.json, onnx/model.onnx) under VECTRA_MODELS_DIR, or allow downloads (VECTRA_MODEL_DOWNLOADS=on) on a machine with network`,
      );
    }
    const prefix = purpose === 'query' ? this.spec.queryPrefix : this.spec.documentPrefix;
    try {
      return await this.pool.embed(`${this.id}\u0000${prefix}`, this.dimension, (batch) => ({ kind: 'onnx', spec: this.spec, texts: batch, purpose }), texts, options.cache);
    } catch (e) {
      const why = (e as Error).message;
      if (this.localFiles() === null) {
        throw new VectraError('MODEL_UNAVAILABLE', `model "${this.id}" could not be downloaded from the Hugging Face hub (${why}); put ${this.spec.repo} under VECTRA_MODELS_DIR instead`);
      }
      throw new VectraError('MODEL_UNAVAILABLE', `model "${this.id}" could not run: ${why}`);
    }
  }
}
