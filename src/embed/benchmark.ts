/**
 * The model benchmark (`vectra models bench`, POST /v1/models/benchmark): for each model,
 * throughput (texts/s embedding the corpus and the queries, cache off, after a warm-up) and
 * retrieval quality on the WordNet task (wordnet.ts) — accuracy@1, recall@10 and MRR@10 of
 * exact cosine search, so the score is the model's and not the index's.
 */
import { isVectraError, VectraError } from '../errors.js';
import { FlatIndex } from '../engine/flat-index.js';
import { OnnxModel } from './onnx.js';
import type { EmbedPool } from './pool.js';
import type { ModelRegistry } from './registry.js';
import type { EmbeddingModel } from './types.js';
import { wordnetFiles, type RetrievalTask } from './wordnet.js';

export const BENCH_K = 10;
export const BENCH_DEFAULT_QUERIES = 500;
export const BENCH_MAX_QUERIES = 5000;

export interface ModelScore {
  model: string;
  provider: string;
  dimension: number;
  textsPerSecond: number;
  accuracyAt1: number;
  recallAt10: number;
  mrrAt10: number;
  /** Wall time for this model: embedding and scoring. */
  seconds: number;
}
export interface ModelFailure {
  model: string;
  provider: string;
  dimension: number;
  error: { code: string; message: string };
}
export type ModelBenchRow = ModelScore | ModelFailure;

export interface ModelBenchReport {
  task: { name: string; description: string; queries: number; corpus: number; k: number; reference: RetrievalTask['reference'] };
  results: ModelBenchRow[];
}

/** Models measured when none are named: those that run on this machine without a network call. */
export async function localModels(registry: ModelRegistry): Promise<EmbeddingModel[]> {
  const local = await Promise.all(registry.list().map(async (m) => (m.provider === 'builtin' && (await m.availability()).available) || (m instanceof OnnxModel && m.localFiles() !== null)));
  return registry.list().filter((_, i) => local[i]);
}

let lastTask: { key: string; task: Promise<RetrievalTask> } | null = null;

/** The labeled set, built in a worker and kept for the next run with the same size. */
export function loadTask(pool: EmbedPool, wordnetDir: string, queries: number): Promise<RetrievalTask> {
  wordnetFiles(wordnetDir); // a clear error here, not from inside a worker
  const key = `${wordnetDir}\u0000${queries}`;
  if (lastTask?.key !== key) {
    const task = pool.run<RetrievalTask>({ kind: 'wordnet-task', dir: wordnetDir, queries });
    lastTask = { key, task };
    task.catch(() => {
      if (lastTask?.task === task) lastTask = null;
    });
  }
  return lastTask.task;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function scoreModel(model: EmbeddingModel, task: RetrievalTask): Promise<ModelScore> {
  const started = performance.now();
  const queries = task.queries.map((q) => q.text);
  // Warm-up: models load on first use (the built-in one in every worker); that is not throughput.
  await model.warm?.();
  await model.embed(task.corpus.slice(0, 16), 'document', { cache: false });
  const t = performance.now();
  const docs = await model.embed(task.corpus, 'document', { cache: false });
  const qs = await model.embed(queries, 'query', { cache: false });
  const textsPerSecond = (docs.length + qs.length) / ((performance.now() - t) / 1000);

  const index = new FlatIndex(model.dimension, 'cosine', docs.length);
  const all = new Float32Array(docs.length * model.dimension);
  docs.forEach((v, i) => all.set(v, i * model.dimension));
  index.add(docs.map((_, i) => i), all);
  let hits1 = 0;
  let hits10 = 0;
  let rr = 0;
  for (let i = 0; i < qs.length; i++) {
    if (i % 32 === 31) await turn(); // an exact scan of thousands of senses: let other requests in
    const rank = index.search(qs[i], BENCH_K).labels.indexOf(task.queries[i].target);
    if (rank === 0) hits1++;
    if (rank >= 0) {
      hits10++;
      rr += 1 / (rank + 1);
    }
  }
  const n = qs.length;
  return {
    model: model.id, provider: model.provider, dimension: model.dimension,
    textsPerSecond: Math.round(textsPerSecond), accuracyAt1: hits1 / n, recallAt10: hits10 / n, mrrAt10: rr / n,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Runs the models one after another (each gets every worker); a model that fails gets an error row. */
export async function benchmarkModels(
  models: EmbeddingModel[],
  task: RetrievalTask,
  onResult: (row: ModelBenchRow, done: number) => void = () => undefined,
): Promise<ModelBenchReport> {
  const results: ModelBenchRow[] = [];
  for (const m of models) {
    let row: ModelBenchRow;
    try {
      row = await scoreModel(m, task);
    } catch (e) {
      const err = isVectraError(e) ? e : new VectraError('MODEL_UNAVAILABLE', `model "${m.id}" failed: ${(e as Error).message}`);
      row = { model: m.id, provider: m.provider, dimension: m.dimension, error: { code: err.code, message: err.message } };
    }
    results.push(row);
    onResult(row, results.length);
  }
  return {
    task: { name: task.name, description: task.description, queries: task.queries.length, corpus: task.corpus.length, k: BENCH_K, reference: task.reference },
    results,
  };
}

/** The report as a Markdown table (CLI output, docs/benchmarks.md). */
export function benchTable(report: ModelBenchReport): string {
  const lines = ['| model | provider | dim | texts/s | accuracy@1 | recall@10 | MRR@10 |', '|---|---|---|---|---|---|---|'];
  for (const r of report.results) {
    if ('error' in r) lines.push(`| ${r.model} | ${r.provider} | ${r.dimension} | — | failed: ${r.error.message} | | |`);
    else lines.push(`| ${r.model} | ${r.provider} | ${r.dimension} | ${r.textsPerSecond.toLocaleString('en-US')} | ${r.accuracyAt1.toFixed(3)} | ${r.recallAt10.toFixed(3)} | ${r.mrrAt10.toFixed(3)} |`);
  }
  const ref = report.task.reference;
  lines.push(`| *${ref.name}* | | | | ${ref.accuracyAt1.toFixed(3)} | ${ref.recallAt10.toFixed(3)} | |`);
  return lines.join('\n');
}

export interface BenchRequest {
  /** Model ids; default: localModels(). Remote models run only when named (they cost money). */
  models?: string[];
  queries?: number;
}

/** The benchmark as a server or the CLI runs it: one run at a time per process. */
export class ModelBench {
  private running = false;

  constructor(private readonly registry: ModelRegistry, private readonly pool: EmbedPool, private readonly wordnetDir: string) {}

  async run(req: BenchRequest = {}, onResult?: (row: ModelBenchRow, done: number, total: number) => void): Promise<ModelBenchReport> {
    const models = req.models ? [...new Set(req.models)].map((id) => this.registry.get(id)) : await localModels(this.registry);
    const queries = req.queries ?? BENCH_DEFAULT_QUERIES;
    if (!Number.isInteger(queries) || queries < 1 || queries > BENCH_MAX_QUERIES) {
      throw new VectraError('INVALID_ARGUMENT', `queries must be an integer from 1 to ${BENCH_MAX_QUERIES}`);
    }
    if (this.running) throw new VectraError('BENCHMARK_RUNNING', 'a model benchmark is already running on this server; try again when it has finished');
    this.running = true;
    try {
      const task = await loadTask(this.pool, this.wordnetDir, queries);
      return await benchmarkModels(models, task, (row, done) => onResult?.(row, done, models.length));
    } finally {
      this.running = false;
    }
  }
}
