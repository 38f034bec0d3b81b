/** What the Qdrant-compatible services share: refusing what they do not support, and points as Qdrant answers them. */
import { VectraError } from '../../errors.js';
import type { Metric, StoredRecord } from '../../engine/index.js';
import { normalized } from '../../vector/math.js';
import { toPointId, type PointId } from './ids.js';
import { selectPayload, type Payload, type PayloadSelector } from './payload.js';

/** Qdrant's names of Vectra's metrics. */
export const DISTANCE_OF: Record<Metric, 'Cosine' | 'Dot' | 'Euclid'> = { cosine: 'Cosine', dot: 'Dot', l2: 'Euclid' };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Null is how clients leave an optional field out. */
export const given = (v: unknown): boolean => v !== undefined && v !== null;

export function badInput(at: string, message: string): never {
  throw new VectraError('INVALID_ARGUMENT', `${at}: ${message}`);
}

/** A Qdrant field this subset does not support, when given (null is not giving it). */
export function refuse(body: Record<string, unknown>, fields: Record<string, string>, at = ''): void {
  for (const [field, what] of Object.entries(fields)) {
    if (given(body[field])) badInput(`${at}${field}`, `${what} is not supported by Vectra's Qdrant-compatible API (docs/compat.md lists what is)`);
  }
}

/** Fields every request may carry that mean nothing on one node: shard keys (only absent). */
export const SHARDING = { shard_key: 'sharding by shard key' } as const;

/** An integer option in [min, max], or its default. */
export function intOption(v: unknown, at: string, dflt: number, min: number, max: number): number {
  if (!given(v)) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) badInput(at, `must be an integer from ${min} to ${max}`);
  return v;
}

export interface PointOut {
  id: PointId;
  payload?: Payload;
  vector?: number[];
}

/** A stored vector as Qdrant gives it back: unit length in a Cosine collection (Qdrant normalizes on upload). */
export function vectorOut(metric: Metric, vector: number[]): number[] {
  return metric === 'cosine' ? Array.from(normalized(Float32Array.from(vector))) : vector;
}

/** A record as a Qdrant point (Record): id in its Qdrant form, the payload asked for, the vector if asked. */
export function pointOut(r: Pick<StoredRecord, 'id' | 'metadata' | 'vector'>, sel: PayloadSelector, metric: Metric): PointOut {
  const out: PointOut = { id: toPointId(r.id) };
  const payload = selectPayload(r.metadata ?? {}, sel);
  if (payload !== undefined) out.payload = payload;
  if (r.vector) out.vector = vectorOut(metric, r.vector);
  return out;
}

/** Qdrant's answer to a write: Vectra's seq is the operation's sequence number, and the write is done when answered. */
export function updateResult(seq: number): { operation_id: number; status: 'completed' } {
  return { operation_id: seq, status: 'completed' };
}
