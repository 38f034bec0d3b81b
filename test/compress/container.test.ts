/**
 * The .vqz container, for every method on real GloVe vectors: random access to vector i gives
 * exactly what decoding the whole file gives; decompress writes the same; damaged or
 * truncated files get clear errors and failed runs leave no output file behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { METHODS, type Method } from '../../src/compress/codec.js';
import { ContainerReader, HEADER_BYTES } from '../../src/compress/container.js';
import { compressFile, decompressFile } from '../../src/compress/files.js';
import { NpyReader, NpyWriter } from '../../src/compress/npy.js';
import { gloveNpy } from '../support/glove.js';
import { tempDir } from '../support/tmp.js';

const N = 3000;
const dir = tempDir();
const input = join(dir, 'glove.npy');

const outputs = new Map<Method, string>();
before(() => {
  gloveNpy(input, N);
  for (const method of METHODS) {
    const out = join(dir, `${method}.vqz`);
    // Small chunks and sample, so streaming crosses chunk boundaries.
    compressFile({ input, output: out, method, chunkRows: 700, sample: 1000, pq: { m: 25, bits: method === 'pq' ? 6 : 8 } });
    outputs.set(method, out);
  }
});

describe('container: every method', () => {
  for (const method of METHODS) {
    it(`${method}: random access equals full decoding, and decompress writes the same`, () => {
      const r = new ContainerReader(outputs.get(method)!);
      try {
        assert.equal(r.info.method, method);
        assert.equal(r.info.count, N);
        assert.equal(r.info.dim, 100);
        assert.equal(r.info.dataOffset % 64, 0);
        assert.equal(statSync(outputs.get(method)!).size, r.info.dataOffset + N * r.info.recordBytes);
        const all = r.read(0, N);
        for (const i of [0, 1, 699, 700, 1234, N - 1]) {
          assert.deepEqual(r.get(i), all.subarray(i * 100, (i + 1) * 100), `vector ${i}`);
        }
        r.verify();
        const npy = join(dir, `${method}.npy`);
        decompressFile({ input: outputs.get(method)!, output: npy, chunkRows: 500 });
        const back = new NpyReader(npy);
        assert.deepEqual(back.read(0, N), all);
        back.close();
        // The reconstruction is close to the original (loosest for binary).
        const orig = new NpyReader(input).read(0, N);
        let cos = 0;
        for (let i = 0; i < N; i++) {
          let d = 0, a = 0, b = 0;
          for (let j = 0; j < 100; j++) {
            d += orig[i * 100 + j] * all[i * 100 + j];
            a += orig[i * 100 + j] ** 2;
            b += all[i * 100 + j] ** 2;
          }
          cos += d / Math.sqrt(a * b);
        }
        const floor = { int8: 0.999, sq8: 0.999, int4: 0.97, f16: 0.9999, binary: 0.75, pq: 0.85 }[method];
        assert.ok(cos / N >= floor, `${method}: mean cosine ${cos / N} < ${floor}`);
      } finally {
        r.close();
      }
    });
  }

  it('record sizes: int8 4+d, sq8 d, int4 d/2, f16 2d, binary d/8, pq m·bits/8', () => {
    const sizes = METHODS.map((m) => {
      const r = new ContainerReader(outputs.get(m)!);
      r.close();
      return [m, r.info.recordBytes];
    });
    assert.deepEqual(Object.fromEntries(sizes), { int8: 104, sq8: 100, int4: 50, f16: 200, binary: 13, pq: 19 });
  });
});

describe('container: damage and bad input', () => {
  function damaged(name: string, edit: (b: Buffer) => Buffer): string {
    const file = join(dir, name);
    writeFileSync(file, edit(Buffer.from(readFileSync(outputs.get('sq8')!))));
    return file;
  }

  it('truncated, wrong magic, bit flips in header and data', () => {
    assert.throws(() => new ContainerReader(damaged('t.vqz', (b) => b.subarray(0, b.length - 7))), /t\.vqz: truncated: the header describes 3,000 vectors of 100 bytes \(300,896 bytes in all\) but the file has 300,889 bytes/);
    assert.throws(() => new ContainerReader(damaged('h.vqz', (b) => b.subarray(0, 40))), /h\.vqz: truncated: 40 bytes, shorter than the 64-byte header/);
    assert.throws(() => new ContainerReader(damaged('m.vqz', (b) => { b.write('NOTVQZ!!', 0); return b; })), /not a Vectra compressed file \(\.vqz\): it does not start with "VECTRAQZ"/);
    assert.throws(() => new ContainerReader(damaged('v.vqz', (b) => { b.writeUInt16LE(9, 8); return b; })), /container version 9 is not supported/);
    assert.throws(() => new ContainerReader(damaged('p.vqz', (b) => { b[HEADER_BYTES + 5] ^= 1; return b; })), /fails its CRC-32 check/);
    assert.throws(() => new ContainerReader(damaged('d.vqz', (b) => { b.writeUInt32LE(99, 12); return b; })), /header is damaged/);
    const flipped = damaged('x.vqz', (b) => { b[b.length - 3] ^= 0x40; return b; });
    const r = new ContainerReader(flipped); // the header is intact: random access works…
    assert.equal(r.get(5).length, 100);
    assert.throws(() => r.verify(), /vector data fails its CRC-32 check/); // …the data check catches it
    r.close();
    const out = join(dir, 'x.npy');
    assert.throws(() => decompressFile({ input: flipped, output: out }), /fails its CRC-32 check/);
    assert.equal(existsSync(out), false, 'no partial output');
    assert.throws(() => new ContainerReader(input), /not a Vectra compressed file/);
  });

  it('out-of-range access is a RangeError, not garbage', () => {
    const r = new ContainerReader(outputs.get('int8')!);
    assert.throws(() => r.get(N), /out of range \(the container holds 3000\)/);
    assert.throws(() => r.get(-1), RangeError);
    r.close();
  });

  it('a failed compress leaves no output and no temp file', () => {
    const bad = join(dir, 'nan.npy');
    const w = new NpyWriter(bad, 2, 3);
    w.write(Float32Array.from([1, 2, 3, 4, NaN, 6]));
    w.close();
    const sub = tempDir();
    const out = join(sub, 'out.vqz');
    assert.throws(() => compressFile({ input: bad, output: out, method: 'int8' }), /nan\.npy: row 1, column 1 is NaN; every value must be a finite number/);
    assert.throws(() => compressFile({ input: input, output: out, method: 'pq', pq: { m: 7 } }), /--pq-m must divide the dimension 100 \(got 7\)/);
    const big = join(dir, 'big.npy');
    const wb = new NpyWriter(big, 1, 2);
    wb.write(Float32Array.from([1, 70000]));
    wb.close();
    assert.throws(() => compressFile({ input: big, output: out, method: 'f16' }), /row 0, column 1 is 70000, beyond float16's range/);
    assert.deepEqual(readdirSync(sub), []);
  });
});
