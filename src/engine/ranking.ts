/**
 * Rankings: labels best first with their scores, as the engine reports them (cosine and dot:
 * higher is better; l2: a distance, lower is better). Exact ranking of stored rows, and the
 * merge of a graph's answer with an exact scan of the records not yet in the graph.
 */
import { exactScore, higherIsBetter, type Metric } from '../vector/math.js';
import { TopK } from '../vector/top-k.js';
import { blobToVector } from './record-store.js';
import type { CollectionConfig } from './types.js';
import { distanceToScore, type Neighbours } from './vector-index.js';

export interface Ranked {
  labels: number[];
  scores: number[];
}

/** An index's neighbours as scores. */
export function fromNeighbours(config: CollectionConfig, n: Neighbours): Ranked {
  return { labels: n.labels, scores: n.distances.map((d) => distanceToScore(config, d)) };
}

/** Rank (label, vector blob) rows by exact score against a prepared query, best first, top k. */
export function rankRows(metric: Metric, query: Float32Array, k: number, rows: Iterable<{ label: number; vector: Buffer }>): Ranked {
  const sign = higherIsBetter(metric) ? -1 : 1;
  const top = new TopK(k);
  for (const row of rows) top.push(sign * exactScore(metric, query, blobToVector(row.vector)), row.label);
  const s = top.sorted();
  return { labels: s.labels, scores: s.distances.map((d) => sign * d) };
}

/**
 * A graph's answer merged with the tail's (the records not yet in the graph, ranked exactly),
 * top k. A label in both (the graph's fallback, an exact scan of SQLite, holds tail records)
 * counts once.
 */
export function mergeTail(metric: Metric, k: number, graph: Ranked, tail: Ranked): Ranked {
  const sign = higherIsBetter(metric) ? -1 : 1;
  const top = new TopK(k);
  graph.labels.forEach((l, i) => top.push(sign * graph.scores[i], l));
  const seen = new Set(graph.labels);
  tail.labels.forEach((l, i) => {
    if (!seen.has(l)) top.push(sign * tail.scores[i], l);
  });
  const s = top.sorted();
  return { labels: s.labels, scores: s.distances.map((d) => sign * d) };
}
