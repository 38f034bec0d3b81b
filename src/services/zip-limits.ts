/**
 * A zip archive's expansion, bounded before a zip reader (mammoth's jszip) sees it: jszip
 * inflates whole entries in memory, so a small DOCX that expands to gigabytes (a zip bomb)
 * would be read in full before anything noticed. Here the central directory's declared sizes
 * must add up to at most the limit, and every entry is inflated with its declared size as a
 * hard cap (zlib's maxOutputLength), so an archive that lies about its sizes is caught too.
 */
import { inflateRawSync } from 'node:zlib';
import { VectraError } from '../errors.js';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_ENTRIES = 10_000;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const corrupt = (why: string) => new VectraError('CORRUPT_FILE', `the file is not a readable zip archive (${why}); a DOCX is a zip of XML parts: save it again from the word processor`);

/** The entries of the central directory, or CORRUPT_FILE. */
export function zipEntries(buf: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new VectraError('ARCHIVE_TOO_LARGE', 'the DOCX is a zip64 archive (over 65,535 parts or 4 GB): far larger than a document this server reads');
  if (count > MAX_ENTRIES) throw new VectraError('ARCHIVE_TOO_LARGE', `the DOCX holds ${count} parts, more than ${MAX_ENTRIES}`);
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw corrupt('broken central directory');
    const nameLen = buf.readUInt16LE(p + 28);
    const entry: ZipEntry = {
      method: buf.readUInt16LE(p + 10),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localOffset: buf.readUInt32LE(p + 42),
      name: buf.toString('utf8', p + 46, p + 46 + nameLen),
    };
    out.push(entry);
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return out;
}

/** Throws ARCHIVE_TOO_LARGE unless every entry, inflated, adds up to at most `maxBytes`. */
export function checkZipExpansion(buf: Buffer, entries: ZipEntry[], maxBytes: number): void {
  const declared = entries.reduce((s, e) => s + e.size, 0);
  if (declared > maxBytes) {
    throw new VectraError('ARCHIVE_TOO_LARGE', `the DOCX expands to ${declared} bytes when unzipped, more than the ${maxBytes} bytes this server unpacks; split the document or remove embedded media`);
  }
  const lies = (e: ZipEntry) => new VectraError('ARCHIVE_TOO_LARGE', `the DOCX part ${e.name} expands past the ${e.size} bytes its zip headers declare; the file is damaged or built to exhaust memory`);
  for (const e of entries) {
    const h = e.localOffset;
    if (h + 30 > buf.length || buf.readUInt32LE(h) !== LOCAL) throw corrupt(`broken local header of ${e.name}`);
    const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
    const data = buf.subarray(start, start + e.compressedSize);
    if (data.length !== e.compressedSize) throw corrupt(`${e.name} is cut short`);
    if (e.method === 0) {
      if (e.compressedSize !== e.size) throw corrupt(`${e.name} has inconsistent sizes`);
      continue;
    }
    if (e.method !== 8) throw corrupt(`${e.name} uses compression method ${e.method}`);
    let inflated: Buffer;
    try {
      // One byte past the declared size: an entry that reaches it lied about its size.
      inflated = inflateRawSync(data, { maxOutputLength: e.size + 1 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw lies(e);
      throw corrupt(`${e.name} does not inflate`);
    }
    if (inflated.length !== e.size) {
      if (inflated.length > e.size) throw lies(e);
      throw corrupt(`${e.name} is shorter than declared`);
    }
  }
}
