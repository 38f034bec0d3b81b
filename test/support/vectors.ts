import { createHash } from 'node:crypto';

/** A deterministic pseudo-random 16-d vector for an id (so a test can check it exactly). */
export function vectorFor(id: string, dim = 16): number[] {
  const h = createHash('sha256').update(id).digest();
  return Array.from({ length: dim }, (_, i) => (h[i % 32] - 127.5) / 64);
}
