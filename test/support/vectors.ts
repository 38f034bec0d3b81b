import { createHash } from 'node:crypto';

/** A deterministic pseudo-random 16-d vector for an id (so a test can check it exactly). */
export function vectorFor(id: string, dim = 16): number[] {
  const h = createHash('sha256').update(id).digest();
  return Array.from({ length: dim }, (_, i) => (h[i % 32] - 127.5) / 64);
}

/** Vector `i` of `dim` distinct directions (a bump on dimension i mod dim over a smooth base): record i is nearest to its own. */
export function distinctVector(i: number, dim: number): number[] {
  return Array.from({ length: dim }, (_, d) => Math.sin((i + 1) * (d + 1) * 0.37) + (d === i % dim ? 2 : 0));
}
