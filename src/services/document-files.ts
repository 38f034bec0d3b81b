/**
 * Uploaded files → text the chunker reads. The format is decided by the bytes first (a PDF
 * starts with "%PDF-", a DOCX is a zip holding word/document.xml), then by the file name and
 * Content-Type for the text formats (HTML, Markdown, plain text). Every refusal is a coded
 * 4xx: a file this server cannot read is the caller's to fix, never a 500.
 */
import { extname } from 'node:path';
import { getDocumentProxy } from 'unpdf';
import { VectraError } from '../errors.js';
import type { DocumentFormat } from './chunking.js';
import { checkZipExpansion, zipEntries } from './zip-limits.js';

export type FileFormat = 'pdf' | 'docx' | DocumentFormat;

export const FILE_FORMATS: readonly FileFormat[] = ['pdf', 'docx', 'html', 'markdown', 'text'];
/** A DOCX is unzipped in memory: at most this many bytes in all. */
export const MAX_UNZIPPED_BYTES = 100 * 1024 * 1024;

export interface UploadedFile {
  bytes: Buffer;
  filename?: string;
  mimetype?: string;
}

/** What a file holds: PDFs page by page, the other formats as one text in a chunker format. */
export type Extracted = { format: 'pdf'; pages: string[] } | { format: Exclude<FileFormat, 'pdf'>; text: string; as: DocumentFormat };

/** The first line of a parser's error, short enough for a message. */
const reason = (e: unknown, fallback: string) => (((e as Error)?.message ?? '').split('\n')[0].trim().slice(0, 160) || fallback);

const unsupported = (what: string) =>
  new VectraError('UNSUPPORTED_FILE_TYPE', `${what}: upload a PDF, DOCX, HTML, Markdown or plain-text (UTF-8) file`);

const startsWith = (b: Buffer, sig: number[]) => sig.every((v, i) => b[i] === v);
/** Binary formats people commonly try, named in the refusal. */
const KNOWN_BINARY: [string, number[]][] = [
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a legacy Word/Excel (OLE) file', [0xd0, 0xcf, 0x11, 0xe0]],
  ['a gzip archive', [0x1f, 0x8b]],
  ['a RAR archive', [0x52, 0x61, 0x72, 0x21]],
  ['a 7-Zip archive', [0x37, 0x7a, 0xbc, 0xaf]],
];

export function sniffFormat(file: UploadedFile): FileFormat {
  const b = file.bytes;
  const ext = extname(file.filename ?? '').toLowerCase();
  const mime = (file.mimetype ?? '').split(';')[0].trim().toLowerCase();
  // Readers accept the header anywhere in the first 1024 bytes; away from the start only when
  // the name or type also says PDF, so a text that mentions "%PDF-" early stays a text.
  const pdfAt = b.subarray(0, 1024).indexOf('%PDF-');
  if (pdfAt === 0 || (pdfAt > 0 && (ext === '.pdf' || mime === 'application/pdf'))) return 'pdf';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06])) {
    const entries = zipEntries(b);
    if (entries.some((e) => e.name === 'word/document.xml')) return 'docx';
    throw unsupported(`the file is a zip archive but not a DOCX (it has no word/document.xml)`);
  }
  if (ext === '.pdf' || mime === 'application/pdf') throw new VectraError('CORRUPT_FILE', 'the file is named or typed as a PDF but does not start like one ("%PDF-"): it is damaged or not a PDF');
  if (ext === '.docx') throw new VectraError('CORRUPT_FILE', 'the file is named .docx but is not a zip archive: it is damaged or not a DOCX');
  const binary = KNOWN_BINARY.find(([, sig]) => startsWith(b, sig));
  if (binary) throw unsupported(`the file is ${binary[0]}`);
  if (['.html', '.htm', '.xhtml'].includes(ext) || mime === 'text/html' || mime === 'application/xhtml+xml') return 'html';
  if (['.md', '.markdown', '.mdown', '.mkd'].includes(ext) || mime === 'text/markdown' || mime === 'text/x-markdown') return 'markdown';
  if (/^\s*(<!doctype html|<html[\s>])/i.test(b.subarray(0, 512).toString('latin1'))) return 'html';
  return 'text';
}

/** UTF-8 (or UTF-16 with a byte-order mark) text, or UNSUPPORTED_FILE_TYPE for binary data. */
function decodeText(b: Buffer): string {
  if (startsWith(b, [0xff, 0xfe])) return new TextDecoder('utf-16le').decode(b.subarray(2));
  if (startsWith(b, [0xfe, 0xff])) return new TextDecoder('utf-16be').decode(b.subarray(2));
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(b);
  } catch {
    throw unsupported('the file is neither a PDF nor a DOCX, and not UTF-8 text');
  }
  if (text.includes('\u0000')) throw unsupported('the file holds binary data (NUL bytes), not text');
  return text;
}

/** Told as a file is read: pages parsed of its pages (PDF). May throw to stop the reading. */
export type PageProgress = (done: number, total: number) => void;

async function pdfPages(bytes: Buffer, onPage?: PageProgress): Promise<string[]> {
  let doc: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // A copy: pdf.js may transfer (detach) the buffer it is given. No eval of font programs.
    doc = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false, useSystemFonts: false });
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === 'PasswordException') throw new VectraError('ENCRYPTED_FILE', 'the PDF is encrypted with a password; upload an unprotected copy');
    throw new VectraError('CORRUPT_FILE', `the PDF cannot be read (${reason(e, 'invalid structure')}); it is damaged or not a PDF`);
  }
  try {
    // Page by page (as unpdf's extractText reads each), so that progress can be told.
    const pages: string[] = [];
    onPage?.(0, doc.numPages);
    for (let p = 1; p <= doc.numPages; p++) {
      let text: string;
      try {
        const content = await (await doc.getPage(p)).getTextContent();
        text = content.items.map((item) => ('str' in item && item.str != null ? item.str + (item.hasEOL ? '\n' : '') : '')).join('');
      } catch (e) {
        throw new VectraError('CORRUPT_FILE', `the PDF's text cannot be read (${reason(e, 'invalid content')}); it is damaged`);
      }
      pages.push(text);
      onPage?.(p, doc.numPages);
    }
    return pages;
  } finally {
    void doc.destroy().catch(() => undefined);
  }
}

async function docxHtml(bytes: Buffer): Promise<string> {
  checkZipExpansion(bytes, zipEntries(bytes), MAX_UNZIPPED_BYTES);
  // Loaded on the first DOCX (~130 modules: not worth a server's start); outside the try below:
  // a reader that cannot load is the server's fault, not a damaged upload.
  const { default: mammoth } = await import('mammoth');
  try {
    // HTML keeps the headings (the chunker splits at them); images are dropped, not inlined as data URIs.
    const r = await mammoth.convertToHtml({ buffer: bytes }, { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) });
    return r.value;
  } catch (e) {
    throw new VectraError('CORRUPT_FILE', `the DOCX cannot be read (${reason(e, 'invalid content')}); it is damaged or not a Word document`);
  }
}

/**
 * What can be told of a file without parsing it, as `extractFile` would refuse it: EMPTY_FILE,
 * UNSUPPORTED_FILE_TYPE (not a format taken; text that is not UTF-8), CORRUPT_FILE (named a PDF
 * or DOCX but not one), ARCHIVE_TOO_LARGE (a DOCX's declared sizes). A large upload is checked
 * so before it is accepted as a job; what only parsing finds (a damaged or encrypted PDF, no
 * text) fails the job.
 */
export function checkFile(file: UploadedFile): FileFormat {
  if (file.bytes.length === 0) throw new VectraError('EMPTY_FILE', 'the uploaded file is empty (0 bytes)');
  const format = sniffFormat(file);
  if (format === 'docx') checkZipExpansion(file.bytes, zipEntries(file.bytes), MAX_UNZIPPED_BYTES);
  else if (format !== 'pdf') decodeText(file.bytes);
  return format;
}

/** The file's text, or a coded 4xx: EMPTY_FILE, UNSUPPORTED_FILE_TYPE, CORRUPT_FILE, ENCRYPTED_FILE, ARCHIVE_TOO_LARGE. */
export async function extractFile(file: UploadedFile, onPage?: PageProgress): Promise<Extracted> {
  if (file.bytes.length === 0) throw new VectraError('EMPTY_FILE', 'the uploaded file is empty (0 bytes)');
  const format = sniffFormat(file);
  if (format === 'pdf') return { format, pages: await pdfPages(file.bytes, onPage) };
  if (format === 'docx') return { format, text: await docxHtml(file.bytes), as: 'html' };
  return { format, text: decodeText(file.bytes), as: format };
}
