/**
 * Line-oriented ingestion (NDJSON streams, import jobs): records arrive one per line, are
 * upserted in batches, and each line gets its own result — a bad line is reported with its
 * number and neither stops nor corrupts the others.
 */
import { isUtf8 } from 'node:buffer';
import { isVectraError, VectraError } from '../errors.js';
import { badByte, invalidUtf8At } from '../utf8.js';
import type { RecordInput } from '../engine/index.js';
import type { CollectionService } from './collections.js';
import { modelOf, vectorSourceProblem, zeroVectorProblem, type EmbeddingService } from './embedding.js';

export interface LineResult {
  line: number;
  id?: string;
  error?: { code: string; message: string };
}

/** A numbered line; `end` is the byte offset just past it (where reading would resume). */
export type Line = { line: number; end?: number; text: string } | { line: number; end?: number; error: { code: string; message: string } };

export const MAX_LINE_BYTES = 16 << 20;

/** Counts the lines of a byte stream as it goes by: its newlines, plus a last line without one. */
export class LineCounter {
  private newlines = 0;
  private last = 10;

  add(chunk: Buffer): void {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.newlines++;
    if (chunk.length > 0) this.last = chunk[chunk.length - 1];
  }

  get lines(): number {
    return this.newlines + (this.last === 10 ? 0 : 1);
  }
}

/**
 * Lines of an NDJSON byte stream (LF or CRLF; blank lines skipped but counted), numbered from
 * 1. A line longer than `maxLineBytes` is not kept in memory: it yields an error and is
 * skipped to its end. A line that is not UTF-8 yields an error too (INVALID_ENCODING).
 */
export async function* ndjsonLines(source: AsyncIterable<Buffer | string>, maxLineBytes = MAX_LINE_BYTES, from = { line: 0, offset: 0 }): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let line = from.line;
  let offset = from.offset;
  const finish = function* (): Generator<Line> {
    line++;
    if (tooLong) yield { line, end: offset, error: { code: 'LINE_TOO_LONG', message: `line ${line} is longer than ${maxLineBytes} bytes` } };
    else {
      const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      // Checked before decoding: toString would put U+FFFD in place of the bad bytes, silently.
      if (!isUtf8(bytes)) yield { line, end: offset, error: { code: 'INVALID_ENCODING', message: `line ${line} is not valid UTF-8 (${badByte(bytes, invalidUtf8At(bytes))} of the line); send text encoded as UTF-8` } };
      else {
        const text = bytes.toString('utf8').replace(/\r$/, '');
        if (text.trim() !== '') yield { line, end: offset, text };
      }
    }
    parts = [];
    size = 0;
    tooLong = false;
  };
  for await (const chunk of source) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      if (!tooLong && size + nl > maxLineBytes) tooLong = true;
      if (!tooLong) parts.push(buf.subarray(0, nl));
      offset += nl + 1;
      yield* finish();
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > 0) {
      offset += buf.length;
      size += buf.length;
      if (size > maxLineBytes) {
        tooLong = true;
        parts = [];
      } else parts.push(buf);
    }
  }
  if (size > 0 || tooLong) yield* finish();
}

function errorOf(e: unknown): { code: string; message: string } {
  if (isVectraError(e)) return { code: e.code, message: e.message };
  return { code: 'INVALID_RECORD', message: (e as Error).message };
}

export class IngestService {
  constructor(
    private readonly collections: CollectionService,
    private readonly embedding: EmbeddingService,
  ) {}

  /**
   * Upsert the records of these lines: each line's result, in order. Lines are validated one
   * by one and the good ones stored in one transaction; if that transaction fails (the
   * collection was dropped, the disk is full), every line of the batch reports it.
   */
  async upsertLines(tenantId: string, name: string, lines: Line[], defaultId?: (line: number) => string): Promise<LineResult[]> {
    const c = this.collections.get(tenantId, name);
    const modelId = modelOf(c);
    const results: LineResult[] = [];
    const pending: { at: number; record: Record<string, unknown> }[] = [];
    for (const l of lines) {
      const r: LineResult = { line: l.line };
      results.push(r);
      if ('error' in l) {
        r.error = l.error;
        continue;
      }
      let record: unknown;
      try {
        record = JSON.parse(l.text);
      } catch (e) {
        r.error = { code: 'INVALID_JSON', message: `line ${l.line} is not valid JSON: ${(e as Error).message}` };
        continue;
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        r.error = { code: 'INVALID_RECORD', message: `line ${l.line}: each line must be a JSON object {"id"?, "text"?, "vector"?, "metadata"?}` };
        continue;
      }
      const rec = record as Record<string, unknown>;
      const extra = Object.keys(rec).find((k) => !['id', 'text', 'vector', 'metadata'].includes(k));
      const problem = extra === undefined ? vectorSourceProblem(rec, modelId) : `unknown field "${extra}" (records have id, text, vector, metadata)`;
      if (problem) r.error = { code: 'INVALID_RECORD', message: `line ${l.line}: ${problem}` };
      else pending.push({ at: results.length - 1, record: (rec.id === undefined || rec.id === null) && defaultId ? { ...rec, id: defaultId(l.line) } : rec });
    }
    // Texts that need a vector, embedded together.
    const needText = pending.filter((p) => p.record.vector === undefined);
    if (needText.length > 0) {
      try {
        const vectors = await this.embedding.embedDocuments(c, needText.map((p) => p.record.text as string));
        needText.forEach((p, i) => {
          const problem = zeroVectorProblem(vectors[i], modelId);
          if (problem) results[p.at].error = { code: 'INVALID_RECORD', message: `line ${results[p.at].line}: ${problem}` };
          else p.record = { ...p.record, vector: vectors[i] };
        });
      } catch (e) {
        for (const p of needText) results[p.at].error = errorOf(e);
      }
    }
    // Each record validated on its own, the valid ones stored in one transaction.
    const ready = pending.filter((p) => !results[p.at].error);
    if (ready.length > 0) {
      try {
        const outcome = await this.collections.upsertEach(tenantId, name, ready.map((p) => p.record as unknown as RecordInput), (i) => `line ${results[ready[i].at].line}`);
        outcome.forEach((o, i) => {
          if ('error' in o) results[ready[i].at].error = errorOf(o.error);
          else results[ready[i].at].id = o.id;
        });
      } catch (e) {
        const err = isVectraError(e) ? errorOf(e) : errorOf(new VectraError('INTERNAL', 'the batch could not be stored'));
        for (const p of ready) results[p.at].error = err;
        if (!isVectraError(e)) throw e;
      }
    }
    return results;
  }

  /** Batches of lines → results, a batch at a time (the source is read only as fast as it is stored). */
  async *ingest(tenantId: string, name: string, lines: AsyncIterable<Line>, batchSize: number): AsyncGenerator<LineResult[]> {
    let batch: Line[] = [];
    for await (const l of lines) {
      batch.push(l);
      if (batch.length >= batchSize) {
        yield await this.upsertLines(tenantId, name, batch);
        batch = [];
      }
    }
    if (batch.length > 0) yield await this.upsertLines(tenantId, name, batch);
  }
}
