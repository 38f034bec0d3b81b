/**
 * Documents: one long text stored as chunk records linked to it. Chunk i of document D is
 * the record "D#i" with metadata {…the document's metadata, _document: D, _chunk: i,
 * _chunks: n, _section?}, so chunks filter, list and delete like any records, and search
 * can group them by document.
 */
import { randomUUID } from 'node:crypto';
import { VectraError } from '../errors.js';
import type { Metadata } from '../engine/index.js';
import { CHUNK_DEFAULTS, chunkDocument, type Chunk, type DocumentFormat } from './chunking.js';
import { checkFile, extractFile, type FileFormat, type UploadedFile } from './document-files.js';
import type { CollectionService } from './collections.js';
import type { EmbeddingService } from './embedding.js';

export interface DocumentBody {
  id?: string;
  text: string;
  metadata?: Metadata;
  format?: DocumentFormat;
  chunk?: { size?: number; overlap?: number };
}

export interface DocumentUpload {
  id?: string;
  title?: string;
  metadata?: Metadata;
  chunk?: { size?: number; overlap?: number };
  file: UploadedFile;
}

/** What an upload stored: the document, its chunks, what the file was read as, and a PDF's pages. */
export interface UploadResult {
  id: string;
  chunks: number;
  format: FileFormat;
  pages?: number;
}

/** Where an upload is: reading the file (a PDF's pages), or embedding its chunks (storing them is one write at the end). */
export interface UploadProgress {
  stage: 'parsing' | 'embedding';
  pages?: { done: number; total: number };
  chunks?: { done: number; total: number };
}

/** A background upload's eyes and brakes: told the progress; `check` throws to stop (cancelled, shutting down). */
export interface UploadWatch {
  progress(p: UploadProgress): void;
  /** Called between pages and between batches of chunks, and last just before the write. */
  check(): void;
}

/** Chunks embedded per call when progress is watched: a progress step, and a point to stop at. */
const EMBED_STEP = 256;

/** A chunk and where it came from: its heading trail, or its page (PDF, from 1). */
type PlacedChunk = Chunk & { page?: number };

function chunkOptions(chunk: DocumentBody['chunk']): { size: number; overlap: number } {
  const size = chunk?.size ?? CHUNK_DEFAULTS.size;
  const overlap = chunk?.overlap ?? Math.min(CHUNK_DEFAULTS.overlap, Math.floor(size / 4));
  if (overlap * 2 > size) throw new VectraError('INVALID_ARGUMENT', `chunk.overlap (${overlap}) must be at most half of chunk.size (${size})`);
  return { size, overlap };
}

export interface DocumentChunk {
  id: string;
  chunk: number;
  text: string | null;
  section?: string;
  /** PDF: the page the chunk is from, counted from 1. */
  page?: number;
}

export const DOCUMENT_KEYS = ['_document', '_chunk', '_chunks', '_section', '_title', '_page'] as const;
/** Chunks per document: they are embedded and stored in one request. */
export const MAX_CHUNKS = 10_000;

export class DocumentService {
  constructor(
    private readonly collections: CollectionService,
    private readonly embedding: EmbeddingService,
  ) {}

  /** Chunk, embed and store a document, replacing an earlier version with the same id. */
  async upsert(tenantId: string, name: string, body: DocumentBody): Promise<{ id: string; chunks: number; ids: string[] }> {
    const opts = chunkOptions(body.chunk);
    const id = this.checkTarget(tenantId, name, body.id, body.metadata);
    const chunks = chunkDocument(body.text, { ...opts, format: body.format ?? 'text' });
    return this.store(tenantId, name, id, body.metadata, chunks);
  }

  /**
   * An uploaded file (PDF, DOCX, HTML, Markdown, text) as a document: its text extracted, then
   * chunked as upsert does. PDF chunks never span pages and carry `_page`; every chunk carries
   * `_title` when there is one.
   */
  async upload(tenantId: string, name: string, body: DocumentUpload, watch?: UploadWatch): Promise<UploadResult> {
    const opts = chunkOptions(body.chunk);
    const id = this.checkTarget(tenantId, name, body.id, body.metadata);
    watch?.progress({ stage: 'parsing' });
    const file = await extractFile(
      body.file,
      watch &&
        ((done, total) => {
          watch.check();
          watch.progress({ stage: 'parsing', pages: { done, total } });
        }),
    );
    const chunks: PlacedChunk[] =
      file.format === 'pdf'
        ? file.pages.flatMap((text, p) => chunkDocument(text, { ...opts, format: 'text' }).map((c) => ({ ...c, page: p + 1 })))
        : chunkDocument(file.text, { ...opts, format: file.as });
    if (chunks.length === 0) {
      const scanned = file.format === 'pdf' ? ' (a scanned PDF holds images of pages, not text: run it through OCR first)' : '';
      throw new VectraError('NO_EXTRACTABLE_TEXT', `the ${file.format} file has no extractable text${scanned}`);
    }
    // Without a title, the file's name is the next best thing to cite.
    const title = body.title ?? body.file.filename?.split(/[\\/]/).pop();
    const stored = await this.store(tenantId, name, id, { ...body.metadata, ...(title ? { _title: title } : {}) }, chunks, watch);
    return { id: stored.id, chunks: stored.chunks, format: file.format, ...(file.format === 'pdf' ? { pages: file.pages.length } : {}) };
  }

  /**
   * What a background upload is checked for before it is accepted, as `upload` would refuse it:
   * the target, the options, and the file as far as it can be told without parsing it
   * (checkFile). The document id: the one given, or a new one the job will use.
   */
  checkUpload(tenantId: string, name: string, body: DocumentUpload): { id: string; format: FileFormat } {
    chunkOptions(body.chunk);
    const id = this.checkTarget(tenantId, name, body.id, body.metadata);
    return { id, format: checkFile(body.file) };
  }

  /** The collection takes documents (it embeds text) and the id and metadata are ours to use: the document id. */
  checkTarget(tenantId: string, name: string, docId?: string, metadata?: Metadata): string {
    const reserved = Object.keys(metadata ?? {}).find((k) => (DOCUMENT_KEYS as readonly string[]).includes(k));
    if (reserved) throw new VectraError('INVALID_RECORD', `metadata.${reserved} is set by Vectra for document chunks; use another name`);
    const id = docId ?? randomUUID();
    if (id.includes('#')) throw new VectraError('INVALID_ARGUMENT', 'a document id cannot contain "#" (chunk ids are "<document id>#<n>")');
    this.embedding.expectModel(this.collections.get(tenantId, name), 'document');
    return id;
  }

  private async store(tenantId: string, name: string, id: string, metadata: Metadata | undefined, chunks: PlacedChunk[], watch?: UploadWatch): Promise<{ id: string; chunks: number; ids: string[] }> {
    if (chunks.length === 0) throw new VectraError('INVALID_ARGUMENT', 'the document has no text to index');
    if (chunks.length > MAX_CHUNKS) throw new VectraError('INVALID_ARGUMENT', `the document makes ${chunks.length} chunks, more than ${MAX_CHUNKS}: raise chunk.size or split the document`);
    const c = this.collections.get(tenantId, name);
    const texts = chunks.map((ch) => ch.text);
    let vectors: Float32Array[];
    if (!watch) vectors = await this.embedding.embedDocuments(c, texts);
    else {
      vectors = [];
      const progress = (done: number) => watch.progress({ stage: 'embedding', chunks: { done, total: texts.length } });
      progress(0);
      for (let i = 0; i < texts.length; i += EMBED_STEP) {
        watch.check();
        vectors.push(...(await this.embedding.embedDocuments(this.collections.get(tenantId, name), texts.slice(i, i + EMBED_STEP))));
        progress(vectors.length);
      }
    }
    const records = chunks.map((ch, i) => ({
      id: `${id}#${i}`,
      text: ch.text,
      vector: vectors[i],
      metadata: { ...metadata, _document: id, _chunk: i, _chunks: chunks.length, ...(ch.section ? { _section: ch.section } : {}), ...(ch.page ? { _page: ch.page } : {}) },
    }));
    // Nothing awaited from here to the end of the write: a job cancelled by now stops before it.
    watch?.check();
    // One transaction: the new chunks, and every other chunk of the document (an older, longer
    // version's) deleted. A crash or a failure leaves the old version whole, never a mix.
    const { ids } = await this.collections.replace(tenantId, name, records, { filter: { _document: id } });
    return { id, chunks: chunks.length, ids };
  }

  get(tenantId: string, name: string, id: string): { id: string; metadata: Metadata; chunks: DocumentChunk[] } {
    const c = this.collections.get(tenantId, name);
    const found: DocumentChunk[] = [];
    let metadata: Metadata = {};
    let cursor: string | null = null;
    do {
      const page = c.list({ filter: { _document: id }, limit: 10000, cursor });
      for (const r of page.records) {
        const { _document: _d, _chunk, _chunks: _n, _section, _page, ...rest } = r.metadata as Metadata & { _chunk: number; _section?: string; _page?: number };
        metadata = rest;
        found.push({ id: r.id, chunk: _chunk, text: r.text, ...(_section ? { section: _section } : {}), ...(_page ? { page: _page } : {}) });
      }
      cursor = page.nextCursor;
    } while (cursor);
    if (found.length === 0) throw new VectraError('RECORD_NOT_FOUND', `document "${id}" does not exist in collection "${name}"`);
    return { id, metadata, chunks: found.sort((a, b) => a.chunk - b.chunk) };
  }

  async delete(tenantId: string, name: string, id: string): Promise<number> {
    const { deleted: n } = await this.collections.deleteWhere(tenantId, name, { _document: id });
    if (n === 0) throw new VectraError('RECORD_NOT_FOUND', `document "${id}" does not exist in collection "${name}"`);
    return n;
  }
}
