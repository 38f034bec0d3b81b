/** Synthetic sentences for embedding and ingest benchmarks: 8–20 words from the 20k most frequent GloVe words, some dollar amounts and a made-up word. Deterministic. */
import { gloveData } from './glove-data.js';

export function sentences(n: number): string[] {
  const words = gloveData().words.slice(0, 20000);
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, (_, i) => {
    const len = 8 + Math.floor(rnd() * 13);
    const ws = Array.from({ length: len }, () => words[Math.floor(rnd() ** 2 * words.length)]);
    if (i % 3 === 0) ws.push(`$${Math.floor(rnd() * 1000)}`);
    if (i % 5 === 0) ws.push('zorblax');
    return ws.join(' ');
  });
}
