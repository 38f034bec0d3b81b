/**
 * Documents: one long text stored as chunk records linked to it. Chunk i of document D is
 * the record "D#i" with metadata {…the document's metadata, _document: D, _chunk: i,
 * _chunks: n, _section?}, so chunks filter, list and delete like any records, and search
 * can group them by document.
 */
import { randomUUID } from 'node:crypto';
import { VectraError } from '../errors.js';
import type { Metadata } from '../engine/index.js';
import { CHUNK_DEFAULTS, chunkDocument, type DocumentFormat } from './chunking.js';
import type { CollectionService } from './collections.js';
import type { EmbeddingService } from './embedding.js';

export interface DocumentBody {
  id?: string;
  text: string;
  metadata?: Metadata;
  format?: DocumentFormat;
  chunk?: { size?: number; overlap?: number };
}

export interface DocumentChunk {
  id: string;
  chunk: number;
  text: string | null;
  section?: string;
}

export const DOCUMENT_KEYS = ['_document', '_chunk', '_chunks', '_section'] as const;
/** Chunks per document: they are embedded and stored in one request. */
export const MAX_CHUNKS = 10_000;

export class DocumentService {
  constructor(
    private readonly collections: CollectionService,
    private readonly embedding: EmbeddingService,
  ) {}

  /** Chunk, embed and store a document, replacing an earlier version with the same id. */
  async upsert(tenantId: string, name: string, body: DocumentBody): Promise<{ id: string; chunks: number; ids: string[] }> {
    const size = body.chunk?.size ?? CHUNK_DEFAULTS.size;
    const overlap = body.chunk?.overlap ?? Math.min(CHUNK_DEFAULTS.overlap, Math.floor(size / 4));
    if (overlap * 2 > size) throw new VectraError('INVALID_ARGUMENT', `chunk.overlap (${overlap}) must be at most half of chunk.size (${size})`);
    const reserved = Object.keys(body.metadata ?? {}).find((k) => (DOCUMENT_KEYS as readonly string[]).includes(k));
    if (reserved) throw new VectraError('INVALID_RECORD', `metadata.${reserved} is set by Vectra for document chunks; use another name`);
    const id = body.id ?? randomUUID();
    if (id.includes('#')) throw new VectraError('INVALID_ARGUMENT', 'a document id cannot contain "#" (chunk ids are "<document id>#<n>")');
    const c = this.collections.get(tenantId, name);
    this.embedding.expectModel(c, 'document');
    const chunks = chunkDocument(body.text, { size, overlap, format: body.format ?? 'text' });
    if (chunks.length === 0) throw new VectraError('INVALID_ARGUMENT', 'the document has no text to index');
    if (chunks.length > MAX_CHUNKS) throw new VectraError('INVALID_ARGUMENT', `the document makes ${chunks.length} chunks, more than ${MAX_CHUNKS}: raise chunk.size or split the document`);
    const vectors = await this.embedding.embedDocuments(c, chunks.map((ch) => ch.text));
    const records = chunks.map((ch, i) => ({
      id: `${id}#${i}`,
      text: ch.text,
      vector: vectors[i],
      metadata: { ...body.metadata, _document: id, _chunk: i, _chunks: chunks.length, ...(ch.section ? { _section: ch.section } : {}) },
    }));
    const live = this.collections.get(tenantId, name);
    const { ids } = live.upsert(records);
    // A shorter new version leaves no chunks of the old one behind.
    live.deleteWhere({ _document: id, _chunk: { $gte: chunks.length } });
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
        const { _document: _d, _chunk, _chunks: _n, _section, ...rest } = r.metadata as Metadata & { _chunk: number; _section?: string };
        metadata = rest;
        found.push({ id: r.id, chunk: _chunk, text: r.text, ...(_section ? { section: _section } : {}) });
      }
      cursor = page.nextCursor;
    } while (cursor);
    if (found.length === 0) throw new VectraError('RECORD_NOT_FOUND', `document "${id}" does not exist in collection "${name}"`);
    return { id, metadata, chunks: found.sort((a, b) => a.chunk - b.chunk) };
  }

  delete(tenantId: string, name: string, id: string): number {
    const n = this.collections.get(tenantId, name).deleteWhere({ _document: id });
    if (n === 0) throw new VectraError('RECORD_NOT_FOUND', `document "${id}" does not exist in collection "${name}"`);
    return n;
  }
}
