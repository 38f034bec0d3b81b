/**
 * What a search or a read answers: rankings and rows turned into hits and records, with only
 * what the caller asked for fetched from SQLite.
 */
import { blobToVector, type HighlightMarks, type RecordRow, type RecordStore } from './record-store.js';
import type { Ranked } from './ranking.js';
import type { Metadata, SearchHit, StoredRecord } from './types.js';

/**
 * Hits as the caller asked for them. A label whose record is gone (an index that has not yet
 * caught up with a delete, or one being rebuilt) is skipped: a stale index must never fail a
 * search (it answered 500 in the fuzz run, docs/reliability.md).
 */
export function materialize(store: RecordStore, idOf: ReadonlyMap<number, string>, ranked: Ranked, include: 'id' | 'payload', includeVector: boolean): SearchHit[] {
  const hits: SearchHit[] = [];
  if (include === 'id' && !includeVector) {
    ranked.labels.forEach((l, i) => {
      const id = idOf.get(l);
      if (id !== undefined) hits.push({ id, score: ranked.scores[i] });
    });
    return hits;
  }
  const rows = store.payloads(ranked.labels, includeVector);
  ranked.labels.forEach((l, i) => {
    const r = rows.get(l);
    if (!r) return;
    const hit: SearchHit = { id: r.id, score: ranked.scores[i] };
    if (include === 'payload') {
      hit.text = r.text;
      hit.metadata = JSON.parse(r.metadata) as Metadata;
    }
    if (includeVector) hit.vector = Array.from(blobToVector(r.vector));
    hits.push(hit);
  });
  return hits;
}

/** Adds `highlight` (a snippet of the text with FTS5 `match` terms marked) to hits; `labels[i]` is hits[i]'s label (undefined: deleted meanwhile). */
export function attachSnippets(store: RecordStore, hits: SearchHit[], labels: (number | undefined)[], match: string, marks: HighlightMarks): void {
  const snippets = store.snippets(labels.filter((l): l is number => l !== undefined), match, marks);
  hits.forEach((h, i) => {
    const snippet = labels[i] === undefined ? undefined : snippets.get(labels[i]);
    if (snippet !== undefined) h.highlight = snippet;
  });
}

function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A stored row as the record a read answers (with its vector if the row has one). */
export function rowToRecord(r: RecordRow): StoredRecord {
  const out: StoredRecord = {
    id: r.id,
    text: r.text,
    metadata: JSON.parse(r.metadata) as Metadata,
    createdAt: toIso(r.created_at),
    updatedAt: toIso(r.updated_at),
  };
  if (r.vector) out.vector = Array.from(blobToVector(r.vector));
  return out;
}
