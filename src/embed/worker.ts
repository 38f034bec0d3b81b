/**
 * Embedding worker (one of the pool in pool.ts): runs model code off the main thread.
 * Each task names its model runtime; runtimes are built on first use and kept.
 */
import { move } from 'piscina';
import { ensureGloveCache } from './glove.js';
import { GloveSif, type SifRecipe } from './sif.js';
import { sharedWordVectors, type SharedGlove, type WordVectors } from './word-vectors.js';
import type { EmbedPurpose } from './types.js';
import { onnxEmbed, onnxRerank, type OnnxSpec, type RerankSpec } from './onnx-runtime.js';
import { wordnetTask, type RetrievalTask } from './wordnet.js';

export type WorkerTask =
  /** GloVe SIF over word vectors in shared memory (word-vectors.ts): no worker copies them. */
  | { kind: 'sif'; recipe: SifRecipe; glove: SharedGlove; texts: string[] }
  | { kind: 'onnx'; spec: OnnxSpec; texts: string[]; purpose: EmbedPurpose }
  /** Cross-encoder scores of (query, passage) pairs. */
  | { kind: 'onnx-rerank'; spec: RerankSpec; query: string; passages: string[] }
  | { kind: 'convert-glove'; path: string }
  /** The model benchmark's labeled set, read and sampled here: parsing WordNet takes most of a second. */
  | { kind: 'wordnet-task'; dir: string; queries: number };

const sif = new Map<string, GloveSif>();
/** The word vectors, opened once per worker whichever recipes use them (one cache file per server). */
let words: WordVectors | null = null;

function sifModel(recipe: SifRecipe, glove: SharedGlove): GloveSif {
  let m = sif.get(recipe);
  if (!m) {
    words ??= sharedWordVectors(glove);
    m = new GloveSif(words, recipe);
    sif.set(recipe, m);
  }
  return m;
}

/** Row-major vectors, texts.length × dimension, transferred back to the main thread. */
export default async function run(task: WorkerTask): Promise<Float32Array | RetrievalTask | null> {
  switch (task.kind) {
    case 'sif': {
      const m = sifModel(task.recipe, task.glove);
      const out = new Float32Array(task.texts.length * m.dimension);
      task.texts.forEach((t, i) => m.embedInto(t, out.subarray(i * m.dimension, (i + 1) * m.dimension)));
      return move(out) as Float32Array;
    }
    case 'onnx':
      return move(await onnxEmbed(task.spec, task.texts, task.purpose)) as Float32Array;
    case 'onnx-rerank':
      return move(await onnxRerank(task.spec, task.query, task.passages)) as Float32Array;
    case 'convert-glove': {
      ensureGloveCache(task.path);
      return null;
    }
    case 'wordnet-task':
      return wordnetTask(task.dir, task.queries);
  }
}
