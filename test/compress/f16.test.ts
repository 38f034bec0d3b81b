/** float16 by hand: exact bit patterns, round to nearest even, subnormals, overflow. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeF16, encodeF16, f16Table } from '../../src/compress/f16.js';

function enc(...x: number[]): number[] {
  const out = new Uint16Array(x.length);
  encodeF16(Float32Array.from(x), out);
  return Array.from(out);
}

describe('float16', () => {
  it('known bit patterns', () => {
    assert.deepEqual(enc(0, -0, 1, -2, 0.5, 65504, 2 ** -14, 2 ** -24, 0.1, Infinity, -Infinity), [0x0000, 0x8000, 0x3c00, 0xc000, 0x3800, 0x7bff, 0x0400, 0x0001, 0x2e66, 0x7c00, 0xfc00]);
    assert.equal(enc(NaN)[0] & 0x7c00, 0x7c00);
    assert.ok((enc(NaN)[0] & 0x3ff) !== 0);
  });

  it('rounds to nearest, ties to even; overflow becomes infinity; tiny values become zero', () => {
    // Between 1 (0x3c00) and 1 + 2^-10 (0x3c01): the midpoint goes to the even 0x3c00;
    // 1 + 3·2^-11 is the midpoint of 0x3c01 and 0x3c02 and goes to 0x3c02.
    assert.deepEqual(enc(1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20), [0x3c00, 0x3c02, 0x3c01]);
    assert.deepEqual(enc(65520, 65519, 1e6), [0x7c00, 0x7bff, 0x7c00]);
    assert.deepEqual(enc(2 ** -25, 2 ** -25 + 2 ** -35, 2 ** -26), [0x0000, 0x0001, 0x0000]);
    assert.deepEqual(enc(3 * 2 ** -25), [0x0002]); // subnormal tie 1.5 → 2 (even)
  });

  it('every finite half survives decode → encode bit for bit', () => {
    const t = f16Table();
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = new Uint16Array(65536);
    encodeF16(t, back);
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaN payloads
      assert.equal(back[h], all[h], `0x${h.toString(16)}`);
    }
    const out = new Float32Array(3);
    decodeF16(Uint16Array.from([0x3c00, 0xc000, 0x0001]), out);
    assert.deepEqual(Array.from(out), [1, -2, 2 ** -24]);
  });
});
