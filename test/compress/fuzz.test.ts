/**
 * Damaged files never crash the readers: any truncation or byte change of a valid .vqz or
 * .npy either still reads (a change inside the data) or throws the reader's own clear error.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ContainerError, ContainerReader } from '../../src/compress/container.js';
import { compressFile } from '../../src/compress/files.js';
import { NpyError, NpyReader } from '../../src/compress/npy.js';
import { gloveNpy } from '../support/glove.js';
import { tempDir } from '../support/tmp.js';

const dir = tempDir();
const npy = join(dir, 'g.npy');
const vqz = join(dir, 'g.vqz');
before(() => {
  gloveNpy(npy, 40);
  compressFile({ input: npy, output: vqz, method: 'pq', pq: { m: 10, bits: 3, opq: true }, sample: 40 });
});

/** Truncate at `cut` (if given) and set byte `at` to `value`. */
const damage = fc.record({ cut: fc.option(fc.nat()), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });

function check(original: Buffer, file: string, d: { cut: number | null; at: number; value: number }, open: () => { readAll: () => void; close: () => void }, expected: (e: unknown) => boolean): void {
  const b = Buffer.from(original);
  b[d.at % b.length] = d.value;
  writeFileSync(file, d.cut === null ? b : b.subarray(0, d.cut % b.length));
  let r;
  try {
    r = open();
  } catch (e) {
    assert.ok(expected(e), `unexpected ${String(e)}`);
    return;
  }
  try {
    r.readAll();
  } finally {
    r.close();
  }
}

describe('damaged files get clear errors, never a crash', () => {
  it('.vqz', () => {
    const original = readFileSync(vqz);
    const file = join(dir, 'bad.vqz');
    fc.assert(
      fc.property(damage, (d) => {
        check(original, file, d, () => {
          const r = new ContainerReader(file);
          return { readAll: () => void r.read(0, r.info.count), close: () => r.close() };
        }, (e) => e instanceof ContainerError);
      }),
      { numRuns: 300 },
    );
  });

  it('.npy', () => {
    const original = readFileSync(npy);
    const file = join(dir, 'bad.npy');
    fc.assert(
      fc.property(damage, (d) => {
        check(original, file, d, () => {
          const r = new NpyReader(file);
          return { readAll: () => void r.read(0, r.rows), close: () => r.close() };
        }, (e) => e instanceof NpyError);
      }),
      { numRuns: 300 },
    );
  });
});
