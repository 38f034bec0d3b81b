/**
 * The multipart/form-data body of a document upload, read as it arrives: one `file` part
 * (at most VECTRA_MAX_UPLOAD_BYTES) and the text fields `id`, `title`, `metadata` (a JSON
 * object) and `chunk` (JSON `{size, overlap}`). The route is a streaming one (the body is
 * read in the handler), so the idle timeout and the size limit are enforced here, and
 * busboy's and the plugin's errors become the API's codes, never a 500.
 */
import type { FastifyRequest } from 'fastify';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { VectraError } from '../errors.js';
import type { DocumentUpload } from '../services/documents.js';
import { HttpError, isCodedError } from './error-codes.js';
import { untilIdle } from './stream-body.js';

const FIELDS = ['id', 'title', 'metadata', 'chunk'] as const;
/** Text fields are small: ids, titles, a metadata object. */
const MAX_FIELD_BYTES = 1024 * 1024;

const invalid = (message: string) => new VectraError('INVALID_ARGUMENT', message);

function jsonField(name: string, value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalid(`the "${name}" field must be a JSON object, e.g. ${name === 'chunk' ? '{"size": 800, "overlap": 100}' : '{"team": "legal"}'}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid(`the "${name}" field must be a JSON object`);
  return parsed as Record<string, unknown>;
}

function chunkField(value: string): DocumentUpload['chunk'] {
  const o = jsonField('chunk', value);
  const extra = Object.keys(o).find((k) => k !== 'size' && k !== 'overlap');
  if (extra) throw invalid(`chunk has no field "${extra}" (only size and overlap)`);
  const int = (k: 'size' | 'overlap', min: number, max: number) => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw invalid(`chunk.${k} must be an integer from ${min} to ${max}`);
    return v as number;
  };
  return { size: int('size', 100, 20_000), overlap: int('overlap', 0, 10_000) };
}

function fields(values: Map<string, string>): Omit<DocumentUpload, 'file'> {
  const id = values.get('id');
  if (id !== undefined && (id.length < 1 || id.length > 200)) throw invalid('the "id" field must be 1–200 characters');
  const title = values.get('title');
  if (title !== undefined && title.length > 1000) throw invalid('the "title" field must be at most 1000 characters');
  const metadata = values.get('metadata');
  const chunk = values.get('chunk');
  return {
    ...(id !== undefined ? { id } : {}),
    ...(title ? { title } : {}),
    ...(metadata !== undefined ? { metadata: jsonField('metadata', metadata) } : {}),
    ...(chunk !== undefined ? { chunk: chunkField(chunk) } : {}),
  };
}

/** Reads the whole form; the file is buffered (its text is extracted in memory anyway). */
export async function readUploadForm(req: FastifyRequest, maxBytes: number, idleMs: number): Promise<DocumentUpload> {
  if (!req.isMultipart()) throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'send the file as multipart/form-data with a "file" field (curl -F file=@report.pdf)');
  const tooLarge = `the file is larger than ${maxBytes} bytes (VECTRA_MAX_UPLOAD_BYTES); split the document`;
  const values = new Map<string, string>();
  let file: DocumentUpload['file'] | undefined;
  try {
    const parts = req.parts({ limits: { fileSize: maxBytes, files: 1, fields: FIELDS.length, fieldSize: MAX_FIELD_BYTES, parts: FIELDS.length + 1 } });
    for await (const part of untilIdle(parts as AsyncIterable<MultipartFile | MultipartValue>, idleMs)) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') throw invalid(`the file goes in the "file" field, not "${part.fieldname}"`);
        const chunks: Buffer[] = [];
        for await (const chunk of untilIdle(part.file as AsyncIterable<Buffer>, idleMs)) chunks.push(chunk);
        if (part.file.truncated) throw new HttpError('PAYLOAD_TOO_LARGE', tooLarge);
        file = { bytes: Buffer.concat(chunks), filename: part.filename || undefined, mimetype: part.mimetype || undefined };
      } else {
        if (part.fieldname === 'file') throw invalid('the "file" field must be a file (curl -F file=@report.pdf), not text');
        if (!(FIELDS as readonly string[]).includes(part.fieldname)) throw invalid(`unknown field "${part.fieldname}": the form takes file, ${FIELDS.join(', ')}`);
        if (part.valueTruncated) throw invalid(`the "${part.fieldname}" field is longer than ${MAX_FIELD_BYTES} bytes`);
        values.set(part.fieldname, String(part.value));
      }
    }
  } catch (e) {
    // untilIdle's message speaks of NDJSON lines; here nothing was stored.
    if (isCodedError(e) && e.code === 'REQUEST_TIMEOUT') throw new HttpError('REQUEST_TIMEOUT', `the upload stalled: no data for ${idleMs} ms (VECTRA_REQUEST_TIMEOUT_MS); nothing was stored`);
    if (isCodedError(e)) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new HttpError('PAYLOAD_TOO_LARGE', tooLarge);
    if (code === 'FST_FILES_LIMIT') throw invalid('send one file per upload');
    if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') throw invalid(`too many form fields: the form takes file, ${FIELDS.join(', ')}`);
    throw invalid(`the multipart/form-data body cannot be read (${(e as Error)?.message ?? 'malformed'})`);
  }
  if (!file) throw invalid('the form has no "file" field: send the document as -F file=@report.pdf');
  return { ...fields(values), file };
}
