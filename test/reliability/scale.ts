/**
 * How hard the reliability suite pushes: `npm run test:reliability` sets
 * VECTRA_RELIABILITY=full (the figures in docs/reliability.md); `npm test` (CI) runs each part
 * shortened. Randomness is seeded so a failure can be replayed.
 */
import { createHash } from 'node:crypto';

export const FULL = process.env.VECTRA_RELIABILITY === 'full';

export type Rng = () => number;

/** A seeded PRNG (mulberry32) in [0, 1). */
export function rng(seed: string): Rng {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
