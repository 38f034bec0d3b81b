/**
 * The compressed container (.vqz): a 64-byte header, the codec's parameter block, then one
 * fixed-size record per vector, so vector i is at dataOffset + i · recordBytes and can be read
 * and decoded alone. Layout, checksums and errors: docs/compression.md.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { codecFromParams, METHOD_CODE, METHODS, paramsBytes, recordBytesOf, type Codec, type Method, type PqSettings } from './codec.js';

export const VQZ_MAGIC = 'VECTRAQZ';
export const VQZ_VERSION = 1;
export const HEADER_BYTES = 64;
const ALIGN = 64;

export class ContainerError extends Error {}

export interface ContainerInfo {
  version: number;
  method: Method;
  dim: number;
  count: number;
  recordBytes: number;
  paramsBytes: number;
  pq: PqSettings | null;
  dataOffset: number;
  dataCrc32: number;
  fileBytes: number;
}

/** CRC-32 continued over `data`; Node's crc32 returns 0 for some empty inputs, so skip those. */
function crcOf(data: Uint8Array, previous = 0): number {
  return data.byteLength === 0 ? previous : crc32(data, previous) >>> 0;
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function header(codec: Codec, count: number, dataCrc: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write(VQZ_MAGIC, 0, 'ascii');
  h.writeUInt16LE(VQZ_VERSION, 8);
  h.writeUInt8(METHOD_CODE[codec.method], 10);
  h.writeUInt8(codec.pq?.opq ? 1 : 0, 11);
  h.writeUInt32LE(codec.dim, 12);
  h.writeBigUInt64LE(BigInt(count), 16);
  h.writeUInt32LE(codec.recordBytes, 24);
  h.writeUInt32LE(codec.params.byteLength, 28);
  h.writeUInt16LE(codec.pq?.m ?? 0, 32);
  h.writeUInt8(codec.pq?.bits ?? 0, 34);
  h.writeUInt32LE(dataCrc >>> 0, 36);
  h.writeBigUInt64LE(BigInt(align(HEADER_BYTES + codec.params.byteLength)), 40);
  h.writeUInt32LE(crcOf(codec.params, crcOf(h.subarray(0, 60))), 60);
  return h;
}

/**
 * Writes a container to a temporary file beside `path`, renamed into place by `finish()`:
 * a failed or interrupted run never leaves a partial file under the final name.
 */
export class ContainerWriter {
  private fd: number;
  private readonly tmp: string;
  private count = 0;
  private crc = 0;
  private position: number;

  constructor(readonly path: string, readonly codec: Codec) {
    this.tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    this.fd = openSync(this.tmp, 'wx');
    const start = align(HEADER_BYTES + codec.params.byteLength);
    const head = Buffer.alloc(start);
    Buffer.from(codec.params.buffer, codec.params.byteOffset, codec.params.byteLength).copy(head, HEADER_BYTES);
    writeSync(this.fd, head, 0, head.length, 0);
    this.position = start;
  }

  /** Encode and append `n` row-major vectors. */
  append(vectors: Float32Array, n: number): void {
    const records = new Uint8Array(n * this.codec.recordBytes);
    this.codec.encode(vectors, n, records);
    this.appendRecords(records, n);
  }

  appendRecords(records: Uint8Array, n: number): void {
    writeSync(this.fd, records, 0, records.length, this.position);
    this.position += records.length;
    this.crc = crcOf(records, this.crc);
    this.count += n;
  }

  finish(): void {
    writeSync(this.fd, header(this.codec, this.count, this.crc), 0, HEADER_BYTES, 0);
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }

  /** Drop the temporary file (after an error). */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      // never created or already gone
    }
  }
}

function readAt(fd: number, length: number, position: number): Uint8Array {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  if (got < length) throw new ContainerError(`truncated: could not read ${length} bytes at offset ${position}`);
  return buf;
}

/** A container open for reading: header and parameters validated, records read on demand. */
export class ContainerReader {
  readonly info: ContainerInfo;
  readonly codec: Codec;
  private fd: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
    try {
      [this.info, this.codec] = this.open();
    } catch (e) {
      closeSync(this.fd);
      if (e instanceof ContainerError) throw new ContainerError(`${file}: ${e.message}`);
      throw e;
    }
  }

  private open(): [ContainerInfo, Codec] {
    const size = fstatSync(this.fd).size;
    if (size < HEADER_BYTES) {
      const start = size >= 8 ? Buffer.from(readAt(this.fd, 8, 0)).toString('latin1') : '';
      throw new ContainerError(start === VQZ_MAGIC ? `truncated: ${size} bytes, shorter than the ${HEADER_BYTES}-byte header` : `not a Vectra compressed file (.vqz): it has only ${size} bytes`);
    }
    const h = Buffer.from(readAt(this.fd, HEADER_BYTES, 0));
    if (h.toString('latin1', 0, 8) !== VQZ_MAGIC) throw new ContainerError(`not a Vectra compressed file (.vqz): it does not start with "${VQZ_MAGIC}"`);
    const version = h.readUInt16LE(8);
    if (version !== VQZ_VERSION) throw new ContainerError(`container version ${version} is not supported (this vectra reads version ${VQZ_VERSION})`);
    const code = h.readUInt8(10);
    const method = METHODS.find((m) => METHOD_CODE[m] === code);
    if (!method) throw new ContainerError(`unknown method code ${code} in the header`);
    const dim = h.readUInt32LE(12);
    const count64 = h.readBigUInt64LE(16);
    const recordBytes = h.readUInt32LE(24);
    const pBytes = h.readUInt32LE(28);
    const pq = method === 'pq' ? { m: h.readUInt16LE(32), bits: h.readUInt8(34), opq: (h.readUInt8(11) & 1) === 1 } : null;
    const dataOffset64 = h.readBigUInt64LE(40);
    if (dim === 0 || count64 > BigInt(Number.MAX_SAFE_INTEGER) || dataOffset64 > BigInt(size)) throw new ContainerError('the header is damaged (impossible dimension, count or data offset)');
    if (pq && (pq.m === 0 || dim % pq.m !== 0 || pq.bits < 1 || pq.bits > 8)) throw new ContainerError(`the header is damaged (pq m ${pq.m}, bits ${pq.bits} for dimension ${dim})`);
    const wantParams = paramsBytes(method, dim, pq);
    const wantRecord = recordBytesOf(method, dim, pq);
    if (pBytes !== wantParams || recordBytes !== wantRecord) {
      throw new ContainerError(`the header is damaged (${method} of dimension ${dim} has ${wantRecord}-byte records and ${wantParams} parameter bytes; the header says ${recordBytes} and ${pBytes})`);
    }
    const count = Number(count64);
    const dataOffset = Number(dataOffset64);
    if (dataOffset !== align(HEADER_BYTES + pBytes)) throw new ContainerError(`the header is damaged (data offset ${dataOffset})`);
    const params = pBytes > 0 ? readAt(this.fd, pBytes, HEADER_BYTES) : new Uint8Array(0);
    const headerCrc = crcOf(params, crcOf(h.subarray(0, 60)));
    if (headerCrc !== h.readUInt32LE(60)) throw new ContainerError('the header or parameter block fails its CRC-32 check (the file is damaged)');
    const expected = dataOffset + count * recordBytes;
    if (size !== expected) {
      throw new ContainerError(`${size < expected ? 'truncated' : 'wrong length'}: the header describes ${count.toLocaleString('en-US')} vectors of ${recordBytes} bytes (${expected.toLocaleString('en-US')} bytes in all) but the file has ${size.toLocaleString('en-US')} bytes`);
    }
    const info: ContainerInfo = { version, method, dim, count, recordBytes, paramsBytes: pBytes, pq, dataOffset, dataCrc32: h.readUInt32LE(36), fileBytes: size };
    return [info, codecFromParams(method, dim, pq, params)];
  }

  /** Raw records [start, start + n). */
  records(start: number, n: number): Uint8Array {
    const { count, recordBytes, dataOffset } = this.info;
    if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > count) {
      throw new RangeError(`vectors ${start}…${start + n - 1} are out of range (the container holds ${count})`);
    }
    return readAt(this.fd, n * recordBytes, dataOffset + start * recordBytes);
  }

  /** Decoded vectors [start, start + n), row-major. */
  read(start: number, n: number, out = new Float32Array(n * this.info.dim)): Float32Array {
    this.codec.decode(this.records(start, n), n, out);
    return out;
  }

  /** Vector i alone: one read of one record. */
  get(i: number): Float32Array {
    return this.read(i, 1);
  }

  /** Check the data's CRC-32, reading it in chunks. */
  verify(chunkRecords = 65536): void {
    let crc = 0;
    for (let start = 0; start < this.info.count; start += chunkRecords) {
      crc = crcOf(this.records(start, Math.min(chunkRecords, this.info.count - start)), crc);
    }
    if (crc !== this.info.dataCrc32) throw new ContainerError(`${this.file}: the vector data fails its CRC-32 check (the file is damaged)`);
  }

  close(): void {
    closeSync(this.fd);
  }
}
