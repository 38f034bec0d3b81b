/**
 * A file chosen for import → the NDJSON body of POST …/imports. Rows map to records by the
 * same rules as `vectra import` (src/records-from-rows.ts): record-shaped rows as they are,
 * other rows by field names with the rest as metadata; CSV cells typed.
 */
import { parse } from 'csv-parse/browser/esm/sync';
import { DEFAULT_FIELDS, toRecord, type FieldNames } from '../../../src/records-from-rows';
import { badByte, invalidUtf8At, lineAt } from '../../../src/utf8';

export type FileKind = 'ndjson' | 'json' | 'csv';

export function kindOf(fileName: string): FileKind | null {
  const ext = fileName.toLowerCase().slice(fileName.lastIndexOf('.'));
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  return null;
}

export interface Converted {
  /** One record per line. */
  ndjson: string;
  rows: number;
  /** Rows that could not become records (reported here; the server never sees them). */
  skipped: { row: number; message: string }[];
}

function isDefault(f: FieldNames): boolean {
  return f.textField === DEFAULT_FIELDS.textField && f.idField === DEFAULT_FIELDS.idField && f.vectorField === DEFAULT_FIELDS.vectorField;
}

/** Whether the file can go up unchanged (the server reads NDJSON records and reports bad lines itself). */
export function sendsAsIs(kind: FileKind, fields: FieldNames): boolean {
  return kind === 'ndjson' && isDefault(fields);
}

/**
 * The text of a file that must be converted, or an error naming the line of its first byte
 * that is not UTF-8: File.text() would put U+FFFD in its place, and that would be imported.
 */
export function fileText(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = invalidUtf8At(bytes);
    throw new Error(`"${name}" is not valid UTF-8 at line ${lineAt(bytes, at)} (${badByte(bytes, at)}); save it as UTF-8 and import it again`);
  }
}

/** Text of a JSON, NDJSON or CSV file → NDJSON records. */
export function toNdjson(text: string, kind: FileKind, fields: FieldNames): Converted {
  const lines: string[] = [];
  const skipped: Converted['skipped'] = [];
  const add = (row: number, value: unknown, csv = false) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      skipped.push({ row, message: 'not a JSON object' });
      return;
    }
    try {
      lines.push(JSON.stringify(toRecord(value as Record<string, unknown>, fields, csv)));
    } catch (e) {
      skipped.push({ row, message: (e as Error).message });
    }
  };
  if (kind === 'csv') {
    const rows = parse(text, { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[];
    rows.forEach((r, i) => add(i + 1, r, true));
    return { ndjson: lines.join('\n'), rows: rows.length, skipped };
  }
  if (kind === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error(`the file is not valid JSON: ${(e as Error).message}`);
    }
    const list = Array.isArray(doc) ? doc : (doc as { records?: unknown } | null)?.records;
    if (!Array.isArray(list)) throw new Error('expected a JSON array of records, or {"records": [...]}');
    list.forEach((v, i) => add(i + 1, v));
    return { ndjson: lines.join('\n'), rows: list.length, skipped };
  }
  let row = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    row++;
    try {
      add(row, JSON.parse(line));
    } catch (e) {
      skipped.push({ row, message: `not valid JSON: ${(e as Error).message}` });
    }
  }
  return { ndjson: lines.join('\n'), rows: row, skipped };
}
