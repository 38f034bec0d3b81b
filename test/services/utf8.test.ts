/**
 * UTF-8 checks before decoding (issue 17): where bytes stop being UTF-8 (src/utf8.ts), checked
 * against the platform's own strict decoder, and NDJSON lines that are not UTF-8 reported one
 * by one instead of decoded into U+FFFD.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ndjsonLines, type Line } from '../../src/services/ingest.js';
import { badByte, completeLength, invalidUtf8At, lineAt } from '../../src/utf8.js';

const strict = new TextDecoder('utf-8', { fatal: true });

/** The oracle: the longest prefix the strict decoder accepts, found by trying each one. */
function firstBadByOracle(b: Uint8Array): number {
  if (isUtf8(b)) return -1;
  for (let end = b.length; end > 0; end--) {
    // A prefix ending on a character boundary that decodes: the next sequence is the bad one.
    try {
      strict.decode(b.subarray(0, end));
      return end;
    } catch {
      // keep shortening
    }
  }
  return 0;
}

/** Valid text cut and spliced with bytes that often break it. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xc3, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff), fc.string({ unit: 'binary', maxLength: 12 }), fc.nat(4)).map(([a, x, b, cut]) => {
    const left = Buffer.from(a);
    return new Uint8Array(Buffer.concat([left.subarray(0, Math.max(0, left.length - cut)), Buffer.from([x]), Buffer.from(b)]));
  }),
  fc.constantFrom(
    [0xed, 0xa0, 0x80], // a UTF-16 surrogate, encoded (CESU-8)
    [0xc0, 0xaf], // an overlong "/"
    [0xe0, 0x80, 0xaf], // overlong, 3 bytes
    [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
    [0x61, 0xe2, 0x82], // cut off at the end
  ).map((a) => new Uint8Array(a)),
);

describe('where bytes stop being UTF-8', () => {
  it('invalidUtf8At agrees with isUtf8 and finds the same first bad sequence as the strict decoder', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const at = invalidUtf8At(b);
        assert.equal(at === -1, isUtf8(b), `isUtf8 disagrees on ${Buffer.from(b).toString('hex')}`);
        assert.equal(at, firstBadByOracle(b), Buffer.from(b).toString('hex'));
      }),
      { numRuns: 3000 },
    );
  });

  it('completeLength keeps back only a character cut at the end', () => {
    const euro = Buffer.from('a€'); // 61 e2 82 ac
    assert.equal(completeLength(euro), 4);
    assert.equal(completeLength(euro.subarray(0, 3)), 1);
    assert.equal(completeLength(euro.subarray(0, 2)), 1);
    assert.equal(completeLength(Buffer.from('😀').subarray(0, 3)), 0);
    assert.equal(completeLength(Buffer.from([0x61, 0xff])), 2, 'a bad byte is not held back: the check reports it');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.nat(120), (s, n) => {
        const b = Buffer.from(s);
        const cut = b.subarray(0, Math.min(n, b.length));
        assert.ok(isUtf8(cut.subarray(0, completeLength(cut))));
        assert.ok(cut.length - completeLength(cut) <= 3);
      }),
    );
  });

  it('messages name the byte, its offset and its line', () => {
    const b = Buffer.from('ok\nstill ok\ncaf\xe9\n', 'latin1');
    const at = invalidUtf8At(b);
    assert.equal(badByte(b, at), 'byte 0xe9 at offset 15');
    assert.equal(badByte(b, at, 100), 'byte 0xe9 at offset 115');
    assert.equal(lineAt(b, at), 3);
  });
});

async function lines(chunks: Buffer[]): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of ndjsonLines((async function* () {
    yield* chunks;
  })())) out.push(l);
  return out;
}

describe('NDJSON lines that are not UTF-8', () => {
  it('are reported by number (with the byte), the lines around them kept', async () => {
    const body = Buffer.concat([Buffer.from('{"id":"a"}\n{"id":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n\n{"id":"ü"}\n')]);
    const got = await lines([body]);
    assert.deepEqual(got, [
      { line: 1, end: 11, text: '{"id":"a"}' },
      { line: 2, end: 25, error: { code: 'INVALID_ENCODING', message: 'line 2 is not valid UTF-8 (byte 0xe9 at offset 10 of the line); send text encoded as UTF-8' } },
      { line: 4, end: 38, text: '{"id":"ü"}' },
    ]);
  });

  it('a character split between chunks is not an error; the text is exactly what was sent', async () => {
    const text = '{"t":"ünïcødé ✓ 😀"}\n'.repeat(3);
    const b = Buffer.from(text);
    for (let cut = 1; cut < b.length; cut++) {
      const got = await lines([b.subarray(0, cut), b.subarray(cut)]);
      assert.deepEqual(got.map((l) => ('text' in l ? l.text : l.error.code)), text.trim().split('\n'), `cut at ${cut}`);
    }
  });
});
