/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0): 2-D arrays of float32, float64 or
 * float16 (either byte order) in C order, read a chunk of rows at a time through a file
 * handle, never whole. Anything else is refused with an error that names what was found.
 * Writing produces float32, little-endian, C order, version 1.0 (2.0 when the header needs it).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { decodeF16 } from './f16.js';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export class NpyError extends Error {}

export interface NpyHeader {
  version: number;
  /** NumPy's dtype string, e.g. "<f4". */
  descr: string;
  itemBytes: 2 | 4 | 8;
  littleEndian: boolean;
  rows: number;
  dim: number;
  /** Byte offset of the first element. */
  dataOffset: number;
}

const DTYPE_NAMES: Record<string, string> = {
  b1: 'bool', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', u4: 'uint32', i8: 'int64', u8: 'uint64',
  f2: 'float16', f4: 'float32', f8: 'float64', f16: 'float128', c8: 'complex64', c16: 'complex128',
};

function dtypeName(descr: string): string {
  return DTYPE_NAMES[descr.replace(/^[<>|=]/, '')] ?? descr;
}

/** Parse the header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (10, 3), }. */
export function parseHeaderDict(text: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|(\[))/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new NpyError(`${file}: the .npy header is malformed (expected 'descr', 'fortran_order' and 'shape'): ${JSON.stringify(text.trim().slice(0, 120))}`);
  if (descr[3]) throw new NpyError(`${file}: unsupported dtype: a structured array (record fields); vectra reads plain float32, float64 or float16 arrays`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!dims.every((s) => /^\d+$/.test(s))) throw new NpyError(`${file}: the .npy header's shape (${shape[1]}) is not a tuple of integers`);
  return { descr: descr[1] ?? descr[2], fortran: fortran[1] === 'True', shape: dims.map(Number) };
}

function readAt(fd: number, buf: Uint8Array, position: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Read and validate the header of an open .npy file. */
export function readNpyHeader(fd: number, file: string): NpyHeader {
  const size = fstatSync(fd).size;
  const pre = new Uint8Array(12);
  const got = readAt(fd, pre, 0);
  if (got < 10 || !Buffer.from(pre.subarray(0, 6)).equals(MAGIC)) {
    throw new NpyError(`${file}: not a .npy file (it does not start with the magic "\\x93NUMPY"${got < 6 ? `; it has only ${size} bytes` : ''})`);
  }
  const version = pre[6];
  if (version < 1 || version > 3) throw new NpyError(`${file}: .npy format version ${version}.${pre[7]} is not supported (1.0, 2.0 and 3.0 are)`);
  const view = new DataView(pre.buffer);
  const lenBytes = version === 1 ? 2 : 4;
  if (got < 8 + lenBytes) throw new NpyError(`${file}: truncated .npy header (${size} bytes)`);
  const headerLen = version === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lenBytes + headerLen;
  if (dataOffset > size) throw new NpyError(`${file}: truncated .npy header: it announces ${headerLen} header bytes but the file has ${size} bytes in all`);
  const raw = new Uint8Array(headerLen);
  readAt(fd, raw, 8 + lenBytes);
  const text = Buffer.from(raw).toString(version === 3 ? 'utf8' : 'latin1');
  const h = parseHeaderDict(text, file);
  const m = /^([<>|=])?f([248])$/.exec(h.descr);
  if (!m) throw new NpyError(`${file}: unsupported dtype '${h.descr}' (${dtypeName(h.descr)}); vectra reads float32, float64 and float16 ('<f4', '<f8', '<f2', or big-endian '>')`);
  if (h.fortran) throw new NpyError(`${file}: the array is in Fortran (column-major) order; vectra reads C order: save it with np.save(path, np.ascontiguousarray(a))`);
  if (h.shape.length !== 2) throw new NpyError(`${file}: expected a 2-D array (vectors × dimensions), found shape (${h.shape.join(', ')})`);
  const [rows, dim] = h.shape;
  if (dim === 0) throw new NpyError(`${file}: the vectors have 0 dimensions (shape (${rows}, 0))`);
  const itemBytes = Number(m[2]) as 2 | 4 | 8;
  const need = dataOffset + rows * dim * itemBytes;
  if (size < need) {
    throw new NpyError(`${file}: truncated: the header describes ${rows} × ${dim} ${dtypeName(h.descr)} (${(need - dataOffset).toLocaleString('en-US')} bytes of data) but only ${(size - dataOffset).toLocaleString('en-US')} bytes follow the header`);
  }
  return { version, descr: h.descr, itemBytes, littleEndian: m[1] !== '>', rows, dim, dataOffset };
}

/** A .npy file open for reading rows by index. */
export class NpyReader {
  readonly header: NpyHeader;
  private fd: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
    try {
      this.header = readNpyHeader(this.fd, file);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  get rows(): number {
    return this.header.rows;
  }

  get dim(): number {
    return this.header.dim;
  }

  /** Rows [start, start + count) as float32, into `out` if given. */
  read(start: number, count: number, out = new Float32Array(count * this.header.dim)): Float32Array {
    const { dim, itemBytes, littleEndian, dataOffset } = this.header;
    const n = count * dim;
    const bytes = new Uint8Array(n * itemBytes);
    const got = readAt(this.fd, bytes, dataOffset + start * dim * itemBytes);
    if (got < bytes.length) throw new NpyError(`${this.file}: truncated while reading rows ${start}…${start + count - 1}`);
    if (!littleEndian && itemBytes > 1) {
      for (let i = 0; i < bytes.length; i += itemBytes) bytes.subarray(i, i + itemBytes).reverse();
    }
    if (itemBytes === 4) out.set(new Float32Array(bytes.buffer, 0, n));
    else if (itemBytes === 8) out.set(new Float64Array(bytes.buffer, 0, n));
    else decodeF16(new Uint16Array(bytes.buffer, 0, n), out, n);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The bytes of a .npy header for a rows × dim little-endian float32 C-order array. */
export function npyHeaderBytes(rows: number, dim: number): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  // Pad with spaces and a newline so the data starts at a multiple of 64 bytes.
  for (const version of [1, 2]) {
    const pre = version === 1 ? 10 : 12;
    const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
    const len = total - pre;
    if (version === 1 && len > 0xffff) continue;
    const out = Buffer.alloc(total, 0x20);
    MAGIC.copy(out, 0);
    out[6] = version;
    out[7] = 0;
    if (version === 1) out.writeUInt16LE(len, 8);
    else out.writeUInt32LE(len, 8);
    out.write(dict, pre, 'latin1');
    out[total - 1] = 0x0a;
    return out;
  }
  throw new Error('unreachable');
}

/** Writes a float32 .npy file of a known row count, a chunk at a time. */
export class NpyWriter {
  private fd: number;
  private written = 0;

  constructor(readonly file: string, readonly rows: number, readonly dim: number) {
    this.fd = openSync(file, 'w');
    writeSync(this.fd, npyHeaderBytes(rows, dim));
  }

  write(vectors: Float32Array): void {
    const n = vectors.length / this.dim;
    if (this.written + n > this.rows) throw new Error(`${this.file}: more rows than the ${this.rows} announced`);
    writeSync(this.fd, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
    this.written += n;
  }

  close(): void {
    closeSync(this.fd);
    if (this.written !== this.rows) throw new Error(`${this.file}: wrote ${this.written} rows of the ${this.rows} announced`);
  }
}
