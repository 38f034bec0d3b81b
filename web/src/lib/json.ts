/** JSON typed by people: parse and check the shape the API wants, with a message that says what to fix. */

export type JsonRule = 'any' | 'object' | 'vector' | 'record';

export type Checked = { value: unknown; error: null } | { value: undefined; error: string };

const RECORD_FIELDS = new Set(['id', 'text', 'vector', 'metadata']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shapeError(v: unknown, rule: JsonRule): string | null {
  if (rule === 'object' && !isObject(v)) return 'expected a JSON object, like {"city": "Austin"}';
  if (rule === 'vector' && !(Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x)))) return 'expected a JSON array of numbers, like [0.1, 0.2, 0.3]';
  if (rule === 'record') {
    if (!isObject(v)) return 'expected a JSON object with "text", "metadata" or "vector"';
    const extra = Object.keys(v).find((k) => !RECORD_FIELDS.has(k));
    if (extra) return `"${extra}" is not a record field: use "text", "vector" and "metadata" (put other fields inside "metadata")`;
    if (v.metadata !== undefined && !isObject(v.metadata)) return '"metadata" must be a JSON object';
    if (v.text !== undefined && v.text !== null && typeof v.text !== 'string') return '"text" must be a string';
    if (v.vector !== undefined && shapeError(v.vector, 'vector')) return '"vector" must be an array of numbers';
    if (v.text == null && v.vector === undefined) return 'a record needs "text" (embedded by the collection\'s model) or "vector"';
  }
  return null;
}

export function checkJson(text: string, rule: JsonRule = 'any'): Checked {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { value: undefined, error: `not valid JSON: ${(e as Error).message}` };
  }
  const error = shapeError(value, rule);
  return error ? { value: undefined, error } : { value, error: null };
}

/** A filter box's value: empty means no filter. */
export function optionalObject(text: string): Checked {
  return text.trim() === '' ? { value: undefined, error: null } : checkJson(text, 'object');
}
