/** Reading a collection's vectors for the analyses: in chunks, yielding the event loop between them. */
import type { Collection } from '../../engine/index.js';
import { unit } from './math.js';

export const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Vectors read per chunk (one SQLite read each) before the event loop gets a turn. */
export const READ_CHUNK = 1000;

/**
 * The stored vectors of `ids` (unit vectors when `unitLength`), in the order given; ids deleted
 * meanwhile drop out. `each` sees every chunk as it comes (the caller may keep nothing).
 */
export async function readVectors(
  c: Collection,
  ids: readonly string[],
  unitLength: boolean,
  each?: (ids: string[], vectors: Float32Array[]) => void,
): Promise<{ ids: string[]; vectors: Float32Array[] }> {
  const outIds: string[] = [];
  const out: Float32Array[] = [];
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    const chunk = ids.slice(i, i + READ_CHUNK);
    const found = c.vectorsOf(chunk);
    const cIds: string[] = [];
    const cVecs: Float32Array[] = [];
    for (const id of chunk) {
      const v = found.get(id);
      if (!v) continue;
      cIds.push(id);
      cVecs.push(unitLength ? unit(v) : v);
    }
    if (each) each(cIds, cVecs);
    else {
      outIds.push(...cIds);
      out.push(...cVecs);
    }
    await pause();
  }
  return { ids: outIds, vectors: out };
}

/** The texts of records (null for none), read in chunks. */
export async function readTexts(c: Collection, ids: readonly string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    for (const h of c.hitsFor(ids.slice(i, i + READ_CHUNK).map((id) => ({ id, score: 0 })), 'payload')) out.set(h.id, h.text ?? null);
    await pause();
  }
  return out;
}
