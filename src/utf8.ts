/**
 * Where bytes stop being UTF-8, to say so in an error instead of decoding them into U+FFFD.
 * Servers check bytes with Node's native `buffer.isUtf8` first; these scans run once a check
 * failed (to name the spot), or where there is no isUtf8. No imports: the web app bundles it.
 */

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function invalidUtf8At(b: Uint8Array, from = 0): number {
  const n = b.length;
  let i = from;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (need === 0) return i;
    // The second byte's range excludes overlong forms, surrogates (ED A0..) and code points past U+10FFFF.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (i + need >= n || b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let j = 2; j <= need; j++) if ((b[i + j] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * The length of `b` without a multi-byte sequence cut off at its end (0–3 bytes that the next
 * chunk of a stream completes): what can be checked now.
 */
export function completeLength(b: Uint8Array): number {
  const n = b.length;
  for (let k = 1; k <= Math.min(3, n); k++) {
    const c = b[n - k];
    if ((c & 0xc0) === 0x80) continue;
    // Only a byte that can start a sequence is held back (not C0, C1, F5–FF: bad wherever they are).
    const len = c >= 0xf5 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 1;
    return len > k ? n - k : n;
  }
  return n;
}

/** "byte 0xe9 at offset 12": the bad byte of `b` at `at` (offsets counted from `base`), for messages. */
export function badByte(b: Uint8Array, at: number, base = 0): string {
  return `byte 0x${b[at].toString(16).padStart(2, '0')} at offset ${base + at}`;
}

/** The 1-based line of offset `at` in `b` (LF-separated). */
export function lineAt(b: Uint8Array, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (b[i] === 10) line++;
  return line;
}
