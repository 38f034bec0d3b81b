/**
 * One collection's records: upsert, search, get, delete, list (every record, page after
 * page), streaming ingest (NDJSON), the change feed, and documents.
 */
import { type ApiClient, dataOf, via } from './http.js';
import { VectraError } from './errors.js';
import { followChanges, type ChangesOptions } from './changes.js';
import { canStreamRequestBodies, ingestStream, ndjsonBody, wholeBody, type IngestOptions, type Source } from './ingest.js';
import { type RequestOptions, type Transport, parseAnswer } from './transport.js';
import type {
  DocumentInfo,
  DocumentInput,
  DocumentStored,
  DocumentUploaded,
  Change,
  Deleted,
  Filter,
  IngestResult,
  Job,
  Metadata,
  RecordInput,
  RecordPage,
  SearchAnswer,
  SearchQuery,
  StoredRecord,
  Upserted,
} from './types.js';

export interface ListOptions extends RequestOptions {
  filter?: Filter;
  /** Records per page (the server's default when omitted; at most 1000). */
  limit?: number;
  includeVector?: boolean;
}

export interface UploadOptions extends RequestOptions {
  /** The document's id (default: one the server generates); its chunks are `<id>#<n>`. */
  id?: string;
  title?: string;
  metadata?: Metadata;
  chunk?: { size?: number; overlap?: number };
  /** The file name sent (default: the File's own name, else "upload"). */
  filename?: string;
}

/** What to delete: one id, some ids, or every record a filter matches. */
export type DeleteTarget = string | string[] | { ids: string[] } | { filter: Filter };

export class CollectionClient<M extends Metadata = Metadata> {
  /** Long texts stored as chunk records `<id>#<n>`, and file uploads (PDF, DOCX, HTML, Markdown, text). */
  readonly documents: Documents;

  constructor(
    readonly name: string,
    private readonly transport: Transport,
    private readonly api: ApiClient,
  ) {
    this.documents = new Documents(name, transport, api);
  }

  private get path() {
    return { path: { name: this.name } };
  }

  /**
   * Upsert records by id (an atomic batch: all stored, or none and the error names the bad one).
   * Retried after a network failure only when every record has an id (then it is idempotent).
   */
  upsert(records: RecordInput<M>[], options?: RequestOptions): Promise<Upserted> {
    const idempotent = records.every((r) => r.id !== undefined);
    return dataOf(this.api.POST('/v1/collections/{name}/records', { params: this.path, body: { records: records as RecordInput[] }, ...via(this.transport, options, idempotent) }));
  }

  /** Search by `text` or `vector`: dense (default), keyword or hybrid, with a metadata filter. Best first. */
  search(query: SearchQuery, options?: RequestOptions): Promise<SearchAnswer<M>> {
    return dataOf(this.api.POST('/v1/collections/{name}/search', { params: this.path, body: query, ...via(this.transport, options, true) })) as Promise<SearchAnswer<M>>;
  }

  /** One record; a missing one is a VectraError RECORD_NOT_FOUND (404). */
  get(id: string, options: RequestOptions & { includeVector?: boolean } = {}): Promise<StoredRecord<M>> {
    const query = options.includeVector ? { includeVector: 'true' as const } : {};
    return dataOf(this.api.GET('/v1/collections/{name}/records/{id}', { params: { path: { name: this.name, id }, query }, ...via(this.transport, options, true) })) as Promise<StoredRecord<M>>;
  }

  /** Delete by id, ids, or filter: `delete('a')`, `delete(['a', 'b'])`, `delete({ filter: { city: 'Austin' } })`. */
  delete(target: DeleteTarget, options?: RequestOptions): Promise<Deleted> {
    const body = typeof target === 'string' ? { ids: [target] } : Array.isArray(target) ? { ids: target } : target;
    if ('filter' in body && (body.filter === null || typeof body.filter !== 'object' || Object.keys(body.filter).length === 0)) {
      // An empty filter matches every record: too easy to send by mistake to be sent at all.
      return Promise.reject(new VectraError('INVALID_ARGUMENT', 'delete({ filter }) needs a non-empty filter; to empty the collection, delete it and create it again'));
    }
    return dataOf(this.api.POST('/v1/collections/{name}/records/delete', { params: this.path, body, ...via(this.transport, options, true) }));
  }

  /** One page of records by id; pass its `nextCursor` back as `cursor` for the next (null after the last). */
  listPage(options: ListOptions & { cursor?: string } = {}): Promise<RecordPage<M>> {
    const query: Record<string, string> = {};
    if (options.limit !== undefined) query.limit = String(options.limit);
    if (options.cursor !== undefined) query.cursor = options.cursor;
    if (options.filter !== undefined) query.filter = JSON.stringify(options.filter);
    if (options.includeVector) query.includeVector = 'true';
    return dataOf(this.api.GET('/v1/collections/{name}/records', { params: { path: { name: this.name }, query }, ...via(this.transport, options, true) })) as Promise<RecordPage<M>>;
  }

  /** Every record (matching `filter`), in id order, fetched a page at a time as the loop asks for more. */
  async *list(options: ListOptions = {}): AsyncGenerator<StoredRecord<M>, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listPage({ ...options, cursor });
      yield* page.records;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Upsert records from an (async) iterable as NDJSON on one streaming request
   * (POST …/records/stream): the server stores them in batches as they arrive and answers a
   * result per line, reported through `onProgress`. A bad record is counted and skipped, never
   * stopping the rest. Not retried (the source is read once).
   */
  ingest(records: AsyncIterable<RecordInput<M>> | Iterable<RecordInput<M>>, options: IngestOptions = {}): Promise<IngestResult> {
    return ingestStream(this.transport, this.name, records as AsyncIterable<RecordInput> | Iterable<RecordInput>, options);
  }

  /**
   * Import records in the background (POST …/imports): the server saves the upload, answers
   * 202 with a job at once, and imports it in batches, resuming after a restart. Follow it with
   * `vectra.jobs.get(job.id)`. `records`: NDJSON text or a Blob of it, or records to send as NDJSON.
   */
  async import(records: string | Blob | Source, options: RequestOptions & { stream?: boolean } = {}): Promise<Job> {
    const raw = typeof records === 'string' || records instanceof Blob;
    const streamed = !raw && (options.stream ?? canStreamRequestBodies());
    const body = raw ? records : streamed ? ndjsonBody(records) : await wholeBody(records);
    const path = `/v1/collections/${encodeURIComponent(this.name)}/imports`;
    const { text } = await this.transport.text({ method: 'POST', path, headers: { 'content-type': 'application/x-ndjson' }, body, idempotent: false, streamBody: streamed }, options);
    return parseAnswer(text) as Job;
  }

  /**
   * The change feed after `since`, a change at a time in seq order: pages of GET …/changes
   * until caught up, then (with `follow: true`) live over Server-Sent Events, reconnecting from
   * the last seq seen. Behind the retention: ChangesExpiredError (410) with `oldestSeq`.
   */
  changes(options: ChangesOptions = {}): AsyncGenerator<Change, void, undefined> {
    return followChanges(this.transport, this.api, this.name, options);
  }
}

export class Documents {
  constructor(
    private readonly collection: string,
    private readonly transport: Transport,
    private readonly api: ApiClient,
  ) {}

  /** Store a long text as chunk records `<id>#<n>` (replacing an earlier version of the document). */
  upsert(document: DocumentInput, options?: RequestOptions): Promise<DocumentStored> {
    return dataOf(this.api.POST('/v1/collections/{name}/documents', { params: { path: { name: this.collection } }, body: document, ...via(this.transport, options, document.id !== undefined) }));
  }

  /** A document's metadata and its chunks in order. */
  get(id: string, options?: RequestOptions): Promise<DocumentInfo> {
    return dataOf(this.api.GET('/v1/collections/{name}/documents/{id}', { params: { path: { name: this.collection, id } }, ...via(this.transport, options, true) }));
  }

  /** Delete a document and all its chunks. */
  delete(id: string, options?: RequestOptions): Promise<{ deleted: number }> {
    return dataOf(this.api.DELETE('/v1/collections/{name}/documents/{id}', { params: { path: { name: this.collection, id } }, ...via(this.transport, options, true) }));
  }

  /**
   * Upload a file (a Blob or File: PDF, DOCX, HTML, Markdown, text) as a document, multipart.
   * The format is sniffed from the bytes, then the file name and type.
   */
  async upload(file: Blob, options: UploadOptions = {}): Promise<DocumentUploaded> {
    const form = new FormData();
    for (const [field, value] of [['id', options.id], ['title', options.title]] as const) if (value !== undefined) form.append(field, value);
    if (options.metadata !== undefined) form.append('metadata', JSON.stringify(options.metadata));
    if (options.chunk !== undefined) form.append('chunk', JSON.stringify(options.chunk));
    const named = (file as Blob & { name?: unknown }).name;
    form.append('file', file, options.filename ?? (typeof named === 'string' && named ? named : 'upload'));
    const path = `/v1/collections/${encodeURIComponent(this.collection)}/documents/upload`;
    const { text } = await this.transport.text({ method: 'POST', path, body: form, idempotent: options.id !== undefined }, options);
    return parseAnswer(text) as DocumentUploaded;
  }
}
