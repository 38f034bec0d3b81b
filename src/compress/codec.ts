/**
 * One interface over every compression method: fixed-size records per vector (so vector i
 * can be read without decoding the rest), a parameter block (what training learned), and
 * encode/decode over whole chunks of row-major float32 vectors.
 *
 * | method | record (d = dimension)            | parameters (float32 LE)               |
 * |--------|-----------------------------------|---------------------------------------|
 * | int8   | scale f32 LE, then d × int8       | none (per-vector, the Vectro seed)    |
 * | sq8    | d × uint8                         | min[d], step[d]                       |
 * | int4   | ceil(d/2) bytes, 2 codes per byte | min[d], step[d]                       |
 * | f16    | d × float16 LE                    | none                                  |
 * | binary | ceil(d/8) bytes of sign bits      | scale[d] (mean abs, for decoding)     |
 * | pq     | ceil(m·bits/8) bytes of codes     | codebooks, then the OPQ rotation d×d  |
 */
import { binaryRecordBytes, packSigns, trainBinary, unpackSigns } from './binary.js';
import { decodeF16, encodeF16 } from './f16.js';
import { quantizeInt8, reconstructInt8 } from './int8.js';
import { checkPq, decodePq, encodePq, pqRecordBytes, trainPq, type PqParams } from './pq.js';
import { decodeScalar, encodeScalar, scalarRecordBytes, trainScalar, type ScalarParams } from './scalar.js';

export const METHODS = ['int8', 'sq8', 'int4', 'f16', 'binary', 'pq'] as const;
export type Method = (typeof METHODS)[number];

/** The method's number in the container header. */
export const METHOD_CODE: Record<Method, number> = { int8: 1, sq8: 2, int4: 3, f16: 4, binary: 5, pq: 6 };

export interface PqSettings {
  m: number;
  bits: number;
  opq: boolean;
}

export interface Codec {
  readonly method: Method;
  readonly dim: number;
  readonly recordBytes: number;
  /** For pq: sub-vectors, bits per code, whether an OPQ rotation is applied. */
  readonly pq: PqSettings | null;
  /** The parameter block, as stored in the container. */
  readonly params: Uint8Array;
  /** `n` row-major vectors → `n` records into `out` (n · recordBytes bytes). */
  encode(vectors: Float32Array, n: number, out: Uint8Array): void;
  /** `n` records → `n` row-major vectors into `out`. */
  decode(records: Uint8Array, n: number, out: Float32Array): void;
}

export function needsTraining(method: Method): boolean {
  return method !== 'int8' && method !== 'f16';
}

function floats(...parts: Float32Array[]): Uint8Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return new Uint8Array(out.buffer);
}

/** A Float32Array over `bytes` (copied when unaligned). */
function asFloats(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(Uint8Array.from(bytes).buffer);
}

function u16(bytes: Uint8Array, count: number): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  return new Uint16Array(Uint8Array.from(bytes.subarray(0, count * 2)).buffer);
}

function int8Codec(d: number): Codec {
  const rec = 4 + d;
  return {
    method: 'int8', dim: d, recordBytes: rec, pq: null, params: new Uint8Array(0),
    encode(vectors, n, out) {
      const q = new Int8Array(n * d);
      const scales = new Float32Array(n);
      quantizeInt8(vectors, n, d, q, scales);
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const codes = new Int8Array(out.buffer, out.byteOffset, out.byteLength);
      for (let i = 0; i < n; i++) {
        view.setFloat32(i * rec, scales[i], true);
        codes.set(q.subarray(i * d, (i + 1) * d), i * rec + 4);
      }
    },
    decode(records, n, out) {
      const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
      const codes = new Int8Array(records.buffer, records.byteOffset, records.byteLength);
      const scale = new Float32Array(1);
      for (let i = 0; i < n; i++) {
        scale[0] = view.getFloat32(i * rec, true);
        reconstructInt8(codes, scale, 1, d, out.subarray(i * d, (i + 1) * d), i * rec + 4);
      }
    },
  };
}

function scalarCodec(p: ScalarParams, d: number): Codec {
  return {
    method: p.bits === 8 ? 'sq8' : 'int4', dim: d, recordBytes: scalarRecordBytes(d, p.bits), pq: null, params: floats(p.min, p.step),
    encode: (vectors, n, out) => encodeScalar(p, vectors, n, d, out),
    decode: (records, n, out) => decodeScalar(p, records, n, d, out),
  };
}

function f16Codec(d: number): Codec {
  return {
    method: 'f16', dim: d, recordBytes: 2 * d, pq: null, params: new Uint8Array(0),
    encode(vectors, n, out) {
      const halves = new Uint16Array(n * d);
      encodeF16(vectors, halves, n * d);
      out.set(new Uint8Array(halves.buffer), 0);
    },
    decode: (records, n, out) => decodeF16(u16(records, n * d), out, n * d),
  };
}

function binaryCodec(scale: Float32Array, d: number): Codec {
  return {
    method: 'binary', dim: d, recordBytes: binaryRecordBytes(d), pq: null, params: floats(scale),
    encode: (vectors, n, out) => packSigns(vectors, n, d, out),
    decode: (records, n, out) => unpackSigns(scale, records, n, d, out),
  };
}

function pqCodec(p: PqParams, d: number): Codec {
  return {
    method: 'pq', dim: d, recordBytes: pqRecordBytes(p.m, p.bits), pq: { m: p.m, bits: p.bits, opq: p.rotation !== null },
    params: p.rotation ? floats(p.codebooks, p.rotation) : floats(p.codebooks),
    encode: (vectors, n, out) => encodePq(p, vectors, n, d, out),
    decode: (records, n, out) => decodePq(p, records, n, d, out),
  };
}

export interface TrainOptions {
  pq?: Partial<PqSettings>;
  seed?: number;
  iterations?: number;
}

export const DEFAULT_PQ: PqSettings = { m: 0, bits: 8, opq: false };

/** A codec for `method`, trained on `n` sample vectors when the method learns parameters. */
export function trainCodec(method: Method, sample: Float32Array, n: number, d: number, o: TrainOptions = {}): Codec {
  switch (method) {
    case 'int8':
    case 'f16':
      return codecFromParams(method, d, null, new Uint8Array(0));
    case 'sq8':
    case 'int4':
      return scalarCodec(trainScalar(sample, n, d, method === 'sq8' ? 8 : 4), d);
    case 'binary':
      return binaryCodec(trainBinary(sample, n, d), d);
    case 'pq': {
      const m = o.pq?.m || defaultPqM(d);
      return pqCodec(trainPq(sample, n, d, { m, bits: o.pq?.bits ?? DEFAULT_PQ.bits, opq: o.pq?.opq ?? false, seed: o.seed, iterations: o.iterations }), d);
    }
  }
}

/** Sub-vectors when none are asked for: the divisor of d nearest d/4 (4-dimensional sub-vectors). */
export function defaultPqM(d: number): number {
  let best = 1;
  for (let m = 1; m <= d; m++) if (d % m === 0 && Math.abs(m - d / 4) < Math.abs(best - d / 4)) best = m;
  return best;
}

/** Expected parameter-block size, so a container can be checked before it is trusted. */
export function paramsBytes(method: Method, d: number, pq: PqSettings | null): number {
  switch (method) {
    case 'int8':
    case 'f16':
      return 0;
    case 'sq8':
    case 'int4':
      return 8 * d;
    case 'binary':
      return 4 * d;
    case 'pq':
      return 4 * ((1 << pq!.bits) * d + (pq!.opq ? d * d : 0));
  }
}

export function recordBytesOf(method: Method, d: number, pq: PqSettings | null): number {
  switch (method) {
    case 'int8':
      return 4 + d;
    case 'sq8':
      return d;
    case 'int4':
      return scalarRecordBytes(d, 4);
    case 'f16':
      return 2 * d;
    case 'binary':
      return binaryRecordBytes(d);
    case 'pq':
      return pqRecordBytes(pq!.m, pq!.bits);
  }
}

/** Rebuild a codec from a container's header fields and parameter block (already size-checked). */
export function codecFromParams(method: Method, d: number, pq: PqSettings | null, params: Uint8Array): Codec {
  const f = asFloats(params);
  switch (method) {
    case 'int8':
      return int8Codec(d);
    case 'f16':
      return f16Codec(d);
    case 'sq8':
    case 'int4':
      return scalarCodec({ bits: method === 'sq8' ? 8 : 4, min: f.slice(0, d), step: f.slice(d, 2 * d) }, d);
    case 'binary':
      return binaryCodec(f.slice(0, d), d);
    case 'pq': {
      checkPq(d, pq!.m, pq!.bits);
      const cb = (1 << pq!.bits) * d;
      return pqCodec({ m: pq!.m, bits: pq!.bits, codebooks: f.slice(0, cb), rotation: pq!.opq ? f.slice(cb, cb + d * d) : null }, d);
    }
  }
}
