/**
 * Rows of a file (NDJSON, JSON, CSV) → records: shared by `vectra import` and the dashboard's
 * import, so a file imports the same way from both. No Node imports: the web app bundles it.
 */

/** Which fields hold the id, the text to embed and a vector; every other field is metadata. */
export interface FieldNames {
  textField: string;
  idField: string;
  vectorField: string;
}

export const DEFAULT_FIELDS: FieldNames = { textField: 'text', idField: 'id', vectorField: 'vector' };

const RECORD_KEYS = new Set(['id', 'text', 'vector', 'metadata']);

/**
 * A row → a record: record-shaped objects as they are; anything else mapped by field names,
 * the other fields becoming metadata. CSV rows (all text) are typed: the vector cell is JSON,
 * metadata cells that are exactly numbers or booleans become them; id and text stay text.
 */
export function toRecord(row: Record<string, unknown>, o: FieldNames, csv = false): Record<string, unknown> {
  const defaults = o.textField === 'text' && o.idField === 'id' && o.vectorField === 'vector';
  if (!csv && defaults && Object.keys(row).every((k) => RECORD_KEYS.has(k))) return row;
  const rec: Record<string, unknown> = {};
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === o.idField) rec.id = typeof v === 'number' ? String(v) : v === '' ? undefined : v;
    else if (k === o.textField) rec.text = v;
    else if (k === o.vectorField) {
      if (typeof v !== 'string') rec.vector = v;
      else if (v !== '') {
        try {
          rec.vector = JSON.parse(v);
        } catch {
          throw new Error(`the "${k}" cell is not a JSON array of numbers`);
        }
      }
    } else if (k === 'metadata' && csv && typeof v === 'string' && v.startsWith('{')) {
      for (const [mk, mv] of Object.entries(JSON.parse(v) as object)) setKey(metadata, mk, mv);
    } else if (v !== '' && v !== undefined) setKey(metadata, k, csv && typeof v === 'string' ? castCell(v) : v);
  }
  if (Object.keys(metadata).length > 0) rec.metadata = metadata;
  return rec;
}

/**
 * `obj[key] = value` as data, whatever the key: assigning to "__proto__" would replace the
 * object's prototype instead (and the column would vanish); Vectra stores such keys as given.
 */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** CSV cells are text; a cell that is exactly a number or a boolean becomes one, so numeric filters work. */
function castCell(value: string): unknown {
  if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}
