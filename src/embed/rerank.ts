/**
 * Cross-encoder rerankers (ONNX, run in the embedding workers): they read the query and a
 * passage together and score their relevance — slower than comparing vectors, so they
 * rerank a search's top candidates. Files load like embedding models: VECTRA_MODELS_DIR,
 * else a hub download when allowed, else MODEL_UNAVAILABLE saying what to do.
 */
import { VectraError } from '../errors.js';
import type { RerankSpec } from './onnx-runtime.js';
import { localRepoDir, onnxAvailability, type OnnxPlacement } from './onnx.js';
import type { Availability } from './types.js';
import type { EmbedPool } from './pool.js';

export interface RerankerEntry {
  repo: string;
  maxTokens: number;
  dtype: 'fp32' | 'q8' | 'fp16';
  description: string;
}

export const RERANK_CATALOG: Record<string, RerankerEntry> = {
  'ms-marco-MiniLM-L-6-v2': { repo: 'Xenova/ms-marco-MiniLM-L-6-v2', maxTokens: 512, dtype: 'fp32', description: 'cross-encoder ms-marco-MiniLM-L-6-v2 (MS MARCO passage ranking)' },
  'bge-reranker-base': { repo: 'Xenova/bge-reranker-base', maxTokens: 512, dtype: 'fp32', description: 'BAAI bge-reranker-base (XLM-RoBERTa cross-encoder)' },
};

/** Pairs per worker task: large enough to batch, small enough to use every worker. */
const PAIRS_PER_TASK = 32;

export class Reranker {
  readonly provider = 'onnx';
  readonly description: string;
  private readonly spec: RerankSpec;

  constructor(readonly id: string, entry: RerankerEntry, placement: OnnxPlacement, private readonly pool: EmbedPool) {
    this.description = entry.description;
    this.spec = { id, repo: entry.repo, maxTokens: entry.maxTokens, dtype: entry.dtype, ...placement };
  }

  localFiles(): string | null {
    return localRepoDir(this.spec, this.spec.repo, this.spec.dtype);
  }

  availability(): Promise<Availability> {
    return onnxAvailability(`reranker "${this.id}"`, this.spec, this.spec.repo, this.spec.dtype);
  }

  /** Relevance of each passage to the query (higher is better), in the passages' order. */
  async score(query: string, passages: string[]): Promise<number[]> {
    const a = await this.availability();
    if (!a.available) throw new VectraError('MODEL_UNAVAILABLE', a.reason!);
    const tasks: Promise<Float32Array>[] = [];
    for (let i = 0; i < passages.length; i += PAIRS_PER_TASK) {
      tasks.push(this.pool.run<Float32Array>({ kind: 'onnx-rerank', spec: this.spec, query, passages: passages.slice(i, i + PAIRS_PER_TASK) }));
    }
    try {
      return (await Promise.all(tasks)).flatMap((a) => Array.from(a));
    } catch (e) {
      throw new VectraError('MODEL_UNAVAILABLE', `reranker "${this.id}" could not run: ${(e as Error).message}`);
    }
  }
}
