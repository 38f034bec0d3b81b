/**
 * `vectra import FILE` and `vectra export` against a running server. Import reads .ndjson,
 * .jsonl, .json (an array, or {"records": [...]}) and .csv (header row), maps each row to a
 * record, and sends them through the NDJSON stream endpoint in requests of `batch` records,
 * with a progress bar and a summary naming the bad rows by line. Export writes NDJSON that
 * import reads back.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { extname } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { parse as parseCsv } from 'csv-parse';
import { LineCounter, ndjsonLines } from '../services/ingest.js';
import { getJson, streamRecords, type StreamResult } from './client.js';
import { toRecord } from '../records-from-rows.js';
import { badByte, completeLength, invalidUtf8At, lineAt } from '../utf8.js';

export interface ImportOptions {
  url: string;
  key: string;
  collection: string;
  file: string;
  textField: string;
  idField: string;
  vectorField: string;
  batch: number;
  progress: boolean;
}

export interface ImportSummary {
  rows: number;
  upserted: number;
  errors: { line: number; code: string; message: string }[];
  seconds: number;
}

type Row = { line: number; value: unknown; csv?: boolean } | { line: number; error: { code: string; message: string } };

async function* rows(file: string): AsyncGenerator<Row> {
  const ext = extname(file).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl') {
    for await (const l of ndjsonLines(createReadStream(file))) {
      if ('error' in l) yield l;
      else {
        try {
          yield { line: l.line, value: JSON.parse(l.text) };
        } catch (e) {
          yield { line: l.line, error: { code: 'INVALID_JSON', message: `line ${l.line} is not valid JSON: ${(e as Error).message}` } };
        }
      }
    }
  } else if (ext === '.json') {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const list = Array.isArray(doc) ? doc : (doc as { records?: unknown }).records;
    if (!Array.isArray(list)) throw new Error(`${file}: expected a JSON array of records, or {"records": [...]}`);
    let i = 0;
    for (const value of list) yield { line: ++i, value };
  } else if (ext === '.csv') {
    const parser = createReadStream(file).pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true, info: true }));
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number } }>) yield { line: info.lines, value: record, csv: true };
  } else {
    throw new Error(`${file}: unknown file type "${ext}"; use .ndjson, .jsonl, .json or .csv`);
  }
}

/**
 * A CSV or JSON file is read as one text (a CSV row may span lines), so it must be UTF-8 as a
 * whole: otherwise the import stops before sending anything, naming the line and byte. (NDJSON
 * lines are checked one by one, and a bad line is reported like any other bad line.)
 */
async function assertUtf8(file: string): Promise<void> {
  let carry = Buffer.alloc(0);
  let offset = 0;
  let line = 1;
  const fail = (bytes: Buffer, at: number): never => {
    throw new Error(`${file} is not valid UTF-8 at line ${line + lineAt(bytes, at) - 1} (${badByte(bytes, at, offset)} of the file); save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)`);
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    // A character cut by the chunk's end is checked with the next chunk.
    const whole = data.subarray(0, completeLength(data));
    if (!isUtf8(whole)) fail(whole, invalidUtf8At(whole));
    for (let i = whole.indexOf(10); i >= 0; i = whole.indexOf(10, i + 1)) line++;
    offset += whole.length;
    carry = Buffer.from(data.subarray(whole.length));
  }
  if (carry.length > 0) fail(carry, 0);
}

/** How many rows a file holds, for the progress bar (cheap for line formats). */
async function countRows(file: string): Promise<number | null> {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return null;
  const counter = new LineCounter();
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) counter.add(chunk);
  return ext === '.csv' ? Math.max(0, counter.lines - 1) : counter.lines;
}

export async function importFile(o: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  if (['.csv', '.json'].includes(extname(o.file).toLowerCase())) await assertUtf8(o.file);
  const total = await countRows(o.file);
  const bar = o.progress && total !== null ? new SingleBar({ format: '{bar} {percentage}% | {value}/{total} rows | {rate}/s | ETA {eta_formatted}', hideCursor: true, stream: process.stderr }, Presets.shades_classic) : null;
  bar?.start(total!, 0, { rate: 0 });
  const summary: ImportSummary = { rows: 0, upserted: 0, errors: [], seconds: 0 };
  let batch: string[] = [];
  let batchLines: number[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const lines = batchLines;
    await streamRecords(o.url, o.key, o.collection, batch, (r: StreamResult) => {
      // The server numbers the lines of each request from 1: map back to the file's lines.
      const line = lines[r.line - 1];
      if (r.error) summary.errors.push({ line, code: r.error.code, message: r.error.message.replace(/^line \d+/, `line ${line}`) });
      else summary.upserted++;
      bar?.increment(1, { rate: Math.round(summary.rows / ((performance.now() - started) / 1000)) });
    });
    batch = [];
    batchLines = [];
  };
  for await (const row of rows(o.file)) {
    summary.rows++;
    if ('error' in row) {
      summary.errors.push({ line: row.line, ...row.error });
      bar?.increment();
      continue;
    }
    const value = row.value;
    let rec: unknown = value;
    try {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) rec = toRecord(value as Record<string, unknown>, o, row.csv);
    } catch (e) {
      summary.errors.push({ line: row.line, code: 'INVALID_RECORD', message: `line ${row.line}: ${(e as Error).message}` });
      bar?.increment();
      continue;
    }
    batch.push(JSON.stringify(rec));
    batchLines.push(row.line);
    if (batch.length >= o.batch) await flush();
  }
  await flush();
  bar?.stop();
  summary.errors.sort((a, b) => a.line - b.line);
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

export interface ExportOptions {
  url: string;
  key: string;
  collection: string;
  out: string | null;
  includeVector: boolean;
}

/** Every record as NDJSON ({id, text, metadata[, vector]}), a page of 1,000 at a time; returns how many. */
export async function exportCollection(o: ExportOptions): Promise<number> {
  const out = o.out ? createWriteStream(o.out) : process.stdout;
  let cursor: string | null = null;
  let n = 0;
  do {
    const q = new URLSearchParams({ limit: '1000', ...(cursor ? { cursor } : {}), ...(o.includeVector ? { includeVector: 'true' } : {}) });
    const page: { records: { id: string; text: string | null; metadata: unknown; vector?: number[] }[]; nextCursor: string | null } = await getJson(
      o.url, o.key, `/v1/collections/${encodeURIComponent(o.collection)}/records?${q}`,
    );
    for (const r of page.records) {
      const line = JSON.stringify({ id: r.id, ...(r.text !== null ? { text: r.text } : {}), metadata: r.metadata, ...(r.vector ? { vector: r.vector } : {}) });
      if (!out.write(`${line}\n`)) await once(out, 'drain');
      n++;
    }
    cursor = page.nextCursor;
  } while (cursor);
  if (o.out) {
    out.end();
    await once(out, 'finish');
  }
  return n;
}
