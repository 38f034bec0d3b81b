/**
 * .npy reading: versions 1.0/2.0/3.0, float32/float64/float16 in both byte orders, C order,
 * read in chunks; malformed files get errors naming what was found. Files are built byte by
 * byte here, as NumPy lays them out.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NpyReader, NpyWriter } from '../../src/compress/npy.js';
import { tempDir } from '../support/tmp.js';

const dir = tempDir();
let seq = 0;

interface NpyParts {
  version?: number;
  descr?: string;
  fortran?: boolean;
  shape?: string;
  data: Uint8Array;
  magic?: Buffer;
  dictText?: string;
}

/** A .npy file as NumPy writes it (header padded so data starts at a multiple of 64). */
function npy(p: NpyParts): string {
  const version = p.version ?? 1;
  const dict = p.dictText ?? `{'descr': '${p.descr ?? '<f4'}', 'fortran_order': ${p.fortran ? 'True' : 'False'}, 'shape': ${p.shape ?? '(2, 3)'}, }`;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + Buffer.byteLength(dict) + 1) / 64) * 64;
  const head = Buffer.alloc(total, 0x20);
  (p.magic ?? Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])).copy(head, 0);
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(total - pre, 8);
  else head.writeUInt32LE(total - pre, 8);
  head.write(dict, pre, version === 3 ? 'utf8' : 'latin1');
  head[total - 1] = 0x0a;
  const file = join(dir, `f${seq++}.npy`);
  writeFileSync(file, Buffer.concat([head, p.data]));
  return file;
}

const VALUES = [1.5, -2.25, 0, 3.75, -0.5, 1024];

function bytes(kind: 'f4' | 'f8' | 'f2', littleEndian: boolean): Uint8Array {
  const size = { f4: 4, f8: 8, f2: 2 }[kind];
  const b = Buffer.alloc(VALUES.length * size);
  VALUES.forEach((v, i) => {
    if (kind === 'f4') littleEndian ? b.writeFloatLE(v, i * 4) : b.writeFloatBE(v, i * 4);
    else if (kind === 'f8') littleEndian ? b.writeDoubleLE(v, i * 8) : b.writeDoubleBE(v, i * 8);
  });
  if (kind === 'f2') {
    // Half bit patterns of VALUES, computed by hand: 1.5 0x3e00, -2.25 0xc080, 0 0x0000,
    // 3.75 0x4380, -0.5 0xb800, 1024 0x6400.
    [0x3e00, 0xc080, 0x0000, 0x4380, 0xb800, 0x6400].forEach((h, i) => (littleEndian ? b.writeUInt16LE(h, i * 2) : b.writeUInt16BE(h, i * 2)));
  }
  return b;
}

function readAll(file: string): { rows: number; dim: number; values: number[]; chunks: number[] } {
  const r = new NpyReader(file);
  try {
    const chunks = [...r.read(1, 1)];
    return { rows: r.rows, dim: r.dim, values: Array.from(r.read(0, r.rows)), chunks };
  } finally {
    r.close();
  }
}

describe('.npy files that are read', () => {
  for (const version of [1, 2, 3]) {
    for (const kind of ['f4', 'f8', 'f2'] as const) {
      for (const [order, le] of [['<', true], ['>', false]] as const) {
        it(`version ${version}.0, ${order}${kind}`, () => {
          const r = readAll(npy({ version, descr: `${order}${kind}`, data: bytes(kind, le) }));
          assert.equal(r.rows, 2);
          assert.equal(r.dim, 3);
          assert.deepEqual(r.values, VALUES);
          assert.deepEqual(r.chunks, VALUES.slice(3), 'row 1 read on its own');
        });
      }
    }
  }

  it('a 3.0 header with a UTF-8 character, an empty array, double-quoted keys', () => {
    assert.deepEqual(readAll(npy({ version: 3, dictText: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'note': 'é'}", data: bytes('f4', true) })).values, VALUES);
    const empty = new NpyReader(npy({ shape: '(0, 3)', data: new Uint8Array(0) }));
    assert.deepEqual([empty.rows, empty.dim, empty.read(0, 0).length], [0, 3, 0]);
    empty.close();
    assert.equal(readAll(npy({ dictText: '{"descr": "<f4", "fortran_order": False, "shape": (2, 3)}', data: bytes('f4', true) })).rows, 2);
  });

  it('what NpyWriter writes reads back (version 1.0, 64-byte aligned data)', () => {
    const file = join(dir, 'w.npy');
    const w = new NpyWriter(file, 2, 3);
    w.write(Float32Array.from(VALUES.slice(0, 3)));
    w.write(Float32Array.from(VALUES.slice(3)));
    w.close();
    const r = new NpyReader(file);
    assert.equal(r.header.version, 1);
    assert.equal(r.header.dataOffset % 64, 0);
    assert.deepEqual(Array.from(r.read(0, 2)), VALUES);
    r.close();
  });
});

describe('malformed .npy files get clear errors', () => {
  const cases: [string, () => string, RegExp][] = [
    ['wrong magic', () => npy({ magic: Buffer.from('NOTNPY'), data: bytes('f4', true) }), /not a \.npy file \(it does not start with the magic "\\x93NUMPY"/],
    ['empty file', () => { const f = join(dir, 'empty.npy'); writeFileSync(f, ''); return f; }, /not a \.npy file.*it has only 0 bytes/],
    ['truncated data', () => npy({ data: bytes('f4', true).subarray(0, 20) }), /truncated: the header describes 2 × 3 float32 \(24 bytes of data\) but only 20 bytes follow the header/],
    ['truncated header', () => { const f = npy({ data: new Uint8Array(0) }); const b = readFileSync(f); writeFileSync(f, b.subarray(0, 30)); return f; }, /truncated \.npy header: it announces 118 header bytes but the file has 30 bytes/],
    ['Fortran order', () => npy({ fortran: true, data: bytes('f4', true) }), /Fortran \(column-major\) order; vectra reads C order.*np\.ascontiguousarray/],
    ['int64 dtype', () => npy({ descr: '<i8', data: new Uint8Array(48) }), /unsupported dtype '<i8' \(int64\); vectra reads float32, float64 and float16/],
    ['uint8 dtype', () => npy({ descr: '|u1', data: new Uint8Array(6) }), /unsupported dtype '\|u1' \(uint8\)/],
    ['complex dtype', () => npy({ descr: '<c8', data: new Uint8Array(48) }), /unsupported dtype '<c8' \(complex64\)/],
    ['structured dtype', () => npy({ dictText: "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,), }", data: new Uint8Array(8) }), /structured array/],
    ['1-D array', () => npy({ shape: '(6,)', data: bytes('f4', true) }), /expected a 2-D array \(vectors × dimensions\), found shape \(6\)/],
    ['3-D array', () => npy({ shape: '(1, 2, 3)', data: bytes('f4', true) }), /found shape \(1, 2, 3\)/],
    ['zero dimensions', () => npy({ shape: '(4, 0)', data: new Uint8Array(0) }), /0 dimensions/],
    ['version 4', () => npy({ version: 4, data: bytes('f4', true) }), /format version 4\.0 is not supported/],
    ['garbage header', () => npy({ dictText: 'hello', data: new Uint8Array(0) }), /header is malformed/],
  ];
  for (const [name, make, message] of cases) {
    it(name, () => {
      const file = make();
      assert.throws(() => new NpyReader(file), (e: Error) => {
        assert.match(e.message, message);
        assert.ok(e.message.startsWith(file), 'the message names the file');
        return true;
      });
    });
  }
});
