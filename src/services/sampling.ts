/**
 * Temperature search: k results drawn from a ranked candidate set without replacement, each
 * draw picking a candidate with probability softmax(score / T) among those left. Drawn at once
 * with the Gumbel-top-k trick (Kool et al., 2019): the k largest of score/T + Gumbel noise are
 * distributed exactly as k successive softmax draws, in draw order.
 */
import { mulberry32 } from '../random.js';

export const MAX_TEMPERATURE = 100;

/**
 * Indices of `scores` (higher = better; negate distances first) in draw order: the first is the
 * first draw. T = 0 keeps the ranking (the k best, best first); the same seed gives the same draws.
 */
export function sampleBySoftmax(scores: readonly number[], k: number, temperature: number, seed: number): number[] {
  const n = Math.min(k, scores.length);
  const order = scores.map((_, i) => i);
  if (temperature === 0) return order.sort((a, b) => scores[b] - scores[a] || a - b).slice(0, n);
  const random = mulberry32(seed);
  const keys = scores.map((s) => {
    // Gumbel(0, 1) = −log(−log U), U uniform on (0, 1): the PRNG can return 0, never 1.
    const u = Math.max(random(), Number.MIN_VALUE);
    return s / temperature - Math.log(-Math.log(u));
  });
  return order.sort((a, b) => keys[b] - keys[a] || a - b).slice(0, n);
}
