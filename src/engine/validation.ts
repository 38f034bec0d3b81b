/** Validation of incoming records and query vectors: every error names the record and the field to fix. */
import { randomUUID } from 'node:crypto';
import { isVectraError, VectraError } from '../errors.js';
import type { PreparedRecord } from './record-store.js';
import type { Metadata, RecordInput } from './types.js';

export const RECORD_LIMITS = {
  maxIdLength: 256,
  maxMetadataDepth: 16,
  maxMetadataLeaves: 1024,
} as const;

function fail(where: string, message: string): never {
  throw new VectraError('INVALID_RECORD', `${where}: ${message}`, { at: where });
}

function checkMetadata(value: unknown, where: string, depth: number, budget: { leaves: number }): void {
  if (depth > RECORD_LIMITS.maxMetadataDepth) fail(where, `metadata is nested deeper than ${RECORD_LIMITS.maxMetadataDepth} levels`);
  if (--budget.leaves < 0) fail(where, `metadata has more than ${RECORD_LIMITS.maxMetadataLeaves} values`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(where, `${value} is not a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((x, i) => checkMetadata(x, `${where}[${i}]`, depth + 1, budget));
    return;
  }
  const proto = typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    for (const [k, x] of Object.entries(value as object)) {
      if (k.length === 0 || k.includes('.') || k.startsWith('$')) {
        fail(`${where}`, `key ${JSON.stringify(k)} is not allowed (keys must be non-empty, without "." and not start with "$")`);
      }
      checkMetadata(x, `${where}.${k}`, depth + 1, budget);
    }
    return;
  }
  fail(where, `${typeof value} is not a JSON value`);
}

export function prepareRecord(input: RecordInput, dimension: number, where: string): PreparedRecord {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail(where, 'each record must be an object');
  let id = input.id;
  if (id === undefined || id === null) id = randomUUID();
  else if (typeof id !== 'string' || id.length === 0 || id.length > RECORD_LIMITS.maxIdLength) {
    fail(`${where}.id`, `id must be a string of 1 to ${RECORD_LIMITS.maxIdLength} characters`);
  }
  const text = input.text ?? null;
  if (text !== null && typeof text !== 'string') fail(`${where}.text`, 'text must be a string');
  const metadata = (input.metadata ?? {}) as Metadata;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) fail(`${where}.metadata`, 'metadata must be a JSON object');
  checkMetadata(metadata, `${where}.metadata`, 0, { leaves: RECORD_LIMITS.maxMetadataLeaves + 1 });
  return { id, text, metadata, vector: toVector(input.vector, dimension, where) };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A vector sent as base64 of little-endian float32s (what OpenAI's embeddings API returns with
 * `encoding_format: "base64"`): decoded without parsing a JSON number per component.
 */
function fromBase64(value: string, dimension: number, where: string): Float32Array {
  if (!BASE64.test(value)) {
    throw new VectraError('INVALID_VECTOR', `${where}.vector is a string but not standard base64 (A–Z a–z 0–9 + /, padded with =): send an array of ${dimension} numbers, or base64 of ${dimension} little-endian float32s`);
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length % 4 !== 0) {
    throw new VectraError('INVALID_VECTOR', `${where}.vector decodes to ${bytes.length} bytes, not a whole number of float32s (4 bytes each)`);
  }
  if (bytes.length / 4 !== dimension) {
    throw new VectraError('DIMENSION_MISMATCH', `${where}.vector has ${bytes.length / 4} dimensions (${bytes.length} bytes of base64 float32) but the collection expects ${dimension}`);
  }
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** A batch prepared whole: every record, or the error of the first bad one (`records[i]` named). */
export function prepareAll(records: RecordInput[], dimension: number): PreparedRecord[] {
  if (!Array.isArray(records)) throw new VectraError('INVALID_ARGUMENT', 'records must be an array');
  return records.map((r, i) => prepareRecord(r, dimension, `records[${i}]`));
}

/**
 * A batch prepared record by record (`where(i)` names each in its error): the valid ones to
 * store, and per record its id or its error.
 */
export function prepareEach(records: RecordInput[], dimension: number, where: (i: number) => string): { valid: PreparedRecord[]; out: ({ id: string } | { error: VectraError })[] } {
  const valid: PreparedRecord[] = [];
  const out = records.map((r, i) => {
    try {
      const p = prepareRecord(r, dimension, where(i));
      valid.push(p);
      return { id: p.id };
    } catch (e) {
      if (!isVectraError(e)) throw e;
      return { error: e };
    }
  });
  return { valid, out };
}

/**
 * Validate a vector (right length, finite numbers) and copy it into a Float32Array: an array
 * of numbers, a typed array, or a base64 string of little-endian float32s.
 * `where` names the offending record in the error, e.g. "records[3]".
 */
export function toVector(value: unknown, dimension: number, where: string): Float32Array {
  if (typeof value === 'string') value = fromBase64(value, dimension, where);
  if (!(Array.isArray(value) || ArrayBuffer.isView(value))) {
    throw new VectraError('INVALID_VECTOR', `${where}.vector must be an array of ${dimension} numbers (or base64 of ${dimension} little-endian float32s)`);
  }
  const arr = value as ArrayLike<unknown>;
  if (arr.length !== dimension) {
    throw new VectraError(
      'DIMENSION_MISMATCH',
      `${where}.vector has ${arr.length} dimensions but the collection expects ${dimension}`,
    );
  }
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) {
    const x = arr[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new VectraError('INVALID_VECTOR', `${where}.vector[${i}] is ${JSON.stringify(x) ?? String(x)}; every component must be a finite number`);
    }
    // Finite doubles beyond float32 range would become Infinity.
    if (!Number.isFinite(Math.fround(x))) {
      throw new VectraError('INVALID_VECTOR', `${where}.vector[${i}] = ${x} is outside the float32 range`);
    }
    out[i] = x;
  }
  return out;
}
