/**
 * Qdrant payloads over Vectra's metadata: what `with_payload` selects, and the payload
 * updates (set, overwrite, delete keys, clear) as Qdrant applies them
 * (lib/segment/src/json_path, lib/segment/src/common/utils.rs).
 */
import { VectraError } from '../../errors.js';

export type Payload = Record<string, unknown>;

/** What `with_payload` asks for: everything, nothing, or these keys (dotted paths) in or out. */
export type PayloadSelector = boolean | { include: string[][] } | { exclude: string[][] };

function isObject(v: unknown): v is Payload {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(at: string, message: string): never {
  throw new VectraError('INVALID_ARGUMENT', `${at}: ${message}`);
}

function paths(list: unknown, at: string): string[][] {
  if (!Array.isArray(list) || list.some((k) => typeof k !== 'string' || k.length === 0)) bad(at, 'expected an array of payload keys');
  return (list as string[]).map((k, i) => {
    if (/[[\]"]/.test(k)) bad(`${at}[${i}]`, `array paths ("a[]") and quoted keys are not supported by Vectra's Qdrant-compatible API (docs/compat.md)`);
    return k.split('.');
  });
}

/** `with_payload` (true, false, a list of keys, {include} or {exclude}); absent or null: `fallback`. */
export function payloadSelector(v: unknown, fallback: boolean, at = 'with_payload'): PayloadSelector {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return { include: paths(v, at) };
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'include') return { include: paths(v.include, `${at}.include`) };
    if (keys.length === 1 && keys[0] === 'exclude') return { exclude: paths(v.exclude, `${at}.exclude`) };
  }
  bad(at, 'expected true, false, a list of keys, {"include": [...]} or {"exclude": [...]}');
}

/** `with_vector`: true or false (a list of vector names: the one unnamed vector has none to list). */
export function vectorSelector(v: unknown, at = 'with_vector'): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.length === 0) return false;
  if (Array.isArray(v)) bad(at, 'named vectors are not supported by Vectra\'s Qdrant-compatible API: collections have one unnamed vector; use true or false');
  bad(at, 'expected true or false');
}

function getPath(p: Payload, path: string[]): unknown {
  let cur: unknown = p;
  for (const k of path) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** Set `value` at `path`, making objects on the way (a non-object in the way is replaced). */
function setPath(p: Payload, path: string[], value: unknown): void {
  let cur = p;
  for (const k of path.slice(0, -1)) {
    if (!isObject(cur[k])) cur[k] = {};
    cur = cur[k] as Payload;
  }
  cur[path[path.length - 1]] = value;
}

function removePath(p: Payload, path: string[]): void {
  let cur: unknown = p;
  for (const k of path.slice(0, -1)) {
    if (!isObject(cur)) return;
    cur = cur[k];
  }
  if (isObject(cur)) delete cur[path[path.length - 1]];
}

/** The payload a point is answered with under this selector (undefined: no payload field). */
export function selectPayload(metadata: Payload, sel: PayloadSelector): Payload | undefined {
  if (sel === false) return undefined;
  if (sel === true) return metadata;
  if ('include' in sel) {
    const out: Payload = {};
    for (const path of sel.include) {
      const v = getPath(metadata, path);
      if (v !== undefined) setPath(out, path, structuredClone(v));
    }
    return out;
  }
  const out = structuredClone(metadata);
  for (const path of sel.exclude) removePath(out, path);
  return out;
}

function payloadObject(v: unknown, at: string): Payload {
  if (!isObject(v)) bad(at, 'expected a JSON object');
  return v;
}

/**
 * Set payload: the given keys replace the point's (a key set to null is removed, as Qdrant's
 * merge does); with `key`, merged into the object at that dotted path instead.
 */
export function mergePayload(current: Payload, update: unknown, key: string | undefined, at = 'payload'): Payload {
  const src = payloadObject(update, at);
  const out = structuredClone(current);
  let dest = out;
  if (key !== undefined) {
    if (/[[\]"]/.test(key) || key.split('.').some((p) => p.length === 0)) bad('key', `${JSON.stringify(key)}: array paths and quoted keys are not supported; use a dotted path like "a.b"`);
    const path = key.split('.');
    let cur = out;
    for (const k of path) {
      if (!isObject(cur[k])) cur[k] = {};
      cur = cur[k] as Payload;
    }
    dest = cur;
  }
  for (const [k, v] of Object.entries(src)) {
    if (v === null) delete dest[k];
    else dest[k] = structuredClone(v);
  }
  return out;
}

/** Delete payload keys: each a dotted path; missing ones are ignored. */
export function deletePayloadKeys(current: Payload, keys: unknown, at = 'keys'): Payload {
  const list = paths(keys, at);
  const out = structuredClone(current);
  for (const path of list) removePath(out, path);
  return out;
}

export function overwritePayload(update: unknown, at = 'payload'): Payload {
  return structuredClone(payloadObject(update, at));
}
