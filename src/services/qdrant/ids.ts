/**
 * Qdrant's point ids: unsigned integers and UUIDs. Both are stored as Vectra's string ids (an
 * integer as its decimal digits, a UUID in its canonical form: lower-case, hyphenated) and
 * given back in the form they came in: digits without a leading zero as a number.
 */
import { VectraError } from '../../errors.js';

/** A Qdrant id as the client sends and receives it. */
export type PointId = number | string;

const HYPHENATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIMPLE = /^[0-9a-f]{32}$/i;
const CANONICAL_INTEGER = /^(?:0|[1-9][0-9]{0,15})$/;

function badId(where: string, id: unknown): never {
  const shown = JSON.stringify(id) ?? String(id);
  throw new VectraError('INVALID_ARGUMENT', `${where}: ${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown} is not a valid point id: Qdrant ids are unsigned integers (here at most 2^53 − 1, which JSON numbers keep exactly) or UUIDs`);
}

/**
 * The Vectra id of a Qdrant id; INVALID_ARGUMENT naming `where` for anything else. UUIDs are
 * read as Qdrant reads them (hyphenated, 32 hex digits, `{…}` or `urn:uuid:…`).
 */
export function toVectraId(id: unknown, where: string): string {
  if (typeof id === 'number') {
    if (Number.isSafeInteger(id) && id >= 0) return String(id);
    badId(where, id);
  }
  if (typeof id !== 'string') badId(where, id);
  let s = id;
  if (s.length === 38 && s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  else if (s.length === 45 && s.toLowerCase().startsWith('urn:uuid:')) s = s.slice(9);
  if (SIMPLE.test(s)) s = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  if (!HYPHENATED.test(s)) badId(where, id);
  return s.toLowerCase();
}

/** The Vectra ids of a list of Qdrant ids (`where[i]` names a bad one). */
export function toVectraIds(ids: unknown, where: string): string[] {
  if (!Array.isArray(ids)) throw new VectraError('INVALID_ARGUMENT', `${where}: expected an array of point ids`);
  return ids.map((id, i) => toVectraId(id, `${where}[${i}]`));
}

/**
 * A stored id as Qdrant answers it: the digits of an integer id as a number, anything else as
 * stored (a UUID; or a record written through Vectra's own API with another kind of id).
 */
export function toPointId(id: string): PointId {
  return CANONICAL_INTEGER.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : id;
}
