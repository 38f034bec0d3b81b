import { dot, normalized } from '../vector/math.js';

/**
 * Combining rankings (hybrid search) and diversifying them (MMR). Pure functions over
 * (id, score) lists, best first, so the arithmetic is tested on its own.
 */

export interface Ranked {
  id: string;
  score: number;
}

export type Side = 'dense' | 'keyword';

export interface FusedHit {
  id: string;
  /** The fused score: higher is better. */
  score: number;
  /** Each side's own score (dense: the metric's score; keyword: BM25), where the hit was found. */
  scores: Partial<Record<Side, number>>;
  /** 1-based rank on each side that found it. */
  ranks: Partial<Record<Side, number>>;
}

export interface RrfOptions {
  /** The rank constant (60 in Cormack et al., and most systems). */
  k: number;
  weights: Record<Side, number>;
}

export const RRF_DEFAULTS: RrfOptions = { k: 60, weights: { dense: 1, keyword: 1 } };

function gather(sides: Record<Side, Ranked[]>): Map<string, FusedHit> {
  const all = new Map<string, FusedHit>();
  for (const side of ['dense', 'keyword'] as const) {
    sides[side].forEach((r, i) => {
      let h = all.get(r.id);
      if (!h) all.set(r.id, (h = { id: r.id, score: 0, scores: {}, ranks: {} }));
      h.scores[side] = r.score;
      h.ranks[side] = i + 1;
    });
  }
  return all;
}

/** Best first; ties go to the better dense rank, then the better keyword rank, then the id. */
function sorted(hits: Iterable<FusedHit>): FusedHit[] {
  const r = (h: FusedHit, s: Side) => h.ranks[s] ?? Number.MAX_SAFE_INTEGER;
  return [...hits].sort((a, b) => b.score - a.score || r(a, 'dense') - r(b, 'dense') || r(a, 'keyword') - r(b, 'keyword') || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Reciprocal rank fusion: score = Σ over sides of weight / (k + rank). */
export function rrfFuse(dense: Ranked[], keyword: Ranked[], o: RrfOptions = RRF_DEFAULTS): FusedHit[] {
  const all = gather({ dense, keyword });
  for (const h of all.values()) {
    for (const side of ['dense', 'keyword'] as const) {
      const rank = h.ranks[side];
      if (rank !== undefined) h.score += o.weights[side] / (o.k + rank);
    }
  }
  return sorted(all.values());
}

/**
 * RRF over any number of rankings (multi-query expansion: one per query variant): score =
 * Σ over the rankings that hold the id of 1 / (k + rank). Best first; ties go to the better
 * best rank, then the id.
 */
export function rrfFuseLists(lists: Ranked[][], k = RRF_DEFAULTS.k): (Ranked & { best: number })[] {
  const all = new Map<string, Ranked & { best: number }>();
  for (const list of lists) {
    list.forEach((r, i) => {
      const h = all.get(r.id) ?? { id: r.id, score: 0, best: i + 1 };
      h.score += 1 / (k + i + 1);
      h.best = Math.min(h.best, i + 1);
      all.set(r.id, h);
    });
  }
  return [...all.values()].sort((a, b) => b.score - a.score || a.best - b.best || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Min-max normalization of one side's scores to [0, 1] (1 = best). `lowerIsBetter` for
 * distances (l2). One candidate, or all equal: each gets 1.
 */
export function normalizeScores(scores: number[], lowerIsBetter = false): number[] {
  if (scores.length === 0) return [];
  const min = Math.min(...scores);
  const max = Math.max(...scores);
  if (max === min) return scores.map(() => 1);
  return scores.map((s) => (lowerIsBetter ? max - s : s - min) / (max - min));
}

/** Weighted blend: score = alpha · dense' + (1 − alpha) · keyword', each side min-max normalized; a side that missed adds 0. */
export function weightedFuse(dense: Ranked[], keyword: Ranked[], alpha: number, denseLowerIsBetter = false): FusedHit[] {
  const all = gather({ dense, keyword });
  const nd = normalizeScores(dense.map((r) => r.score), denseLowerIsBetter);
  const nk = normalizeScores(keyword.map((r) => r.score));
  dense.forEach((r, i) => (all.get(r.id)!.score += alpha * nd[i]));
  keyword.forEach((r, i) => (all.get(r.id)!.score += (1 - alpha) * nk[i]));
  return sorted(all.values());
}

/**
 * Maximal marginal relevance (Carbonell & Goldstein 1998): pick, one at a time, the
 * candidate maximizing lambda · relevance − (1 − lambda) · (greatest cosine similarity to
 * one already picked). Relevance is the candidates' score min-max normalized to [0, 1].
 * lambda 1 keeps the original order; lower values trade relevance for variety. Candidates
 * without a vector keep their relevance and count as unlike everything. Returns indexes
 * into `candidates`, in pick order.
 */
export function mmr(candidates: Ranked[], vectors: (Float32Array | undefined)[], k: number, lambda: number, lowerIsBetter = false): number[] {
  const rel = normalizeScores(candidates.map((c) => c.score), lowerIsBetter);
  const unit = vectors.map((v) => (v ? normalized(v) : undefined));
  // Greatest similarity to a picked candidate; -Infinity until one with a vector is picked.
  const maxSim = new Float64Array(candidates.length).fill(-Infinity);
  const left = new Set(candidates.map((_, i) => i));
  const picked: number[] = [];
  while (picked.length < k && left.size > 0) {
    let best = -1;
    let bestValue = -Infinity;
    for (const i of left) {
      const penalty = maxSim[i] === -Infinity ? 0 : maxSim[i];
      const value = lambda * rel[i] - (1 - lambda) * penalty;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    picked.push(best);
    left.delete(best);
    const v = unit[best];
    if (v) {
      for (const i of left) {
        const w = unit[i];
        if (w) maxSim[i] = Math.max(maxSim[i], dot(v, w));
      }
    }
  }
  return picked;
}
