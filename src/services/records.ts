import { VectraError } from '../errors.js';
import type { ChangePage, Collection, Metadata, RecordInput, StoredRecord } from '../engine/index.js';
import type { CollectionService } from './collections.js';
import { modelOf, vectorSourceProblem, zeroVectorProblem, type EmbeddingService } from './embedding.js';

export interface RecordBody {
  id?: string;
  text?: string;
  /** Numbers, or base64 of little-endian float32s. */
  vector?: number[] | string;
  metadata?: Metadata;
}

/** Upserts, reads and deletes, embedding text through the collection's model. */
export class RecordService {
  constructor(
    private readonly collections: CollectionService,
    private readonly embedding: EmbeddingService,
    private readonly maxBatch: number,
  ) {}

  /** Vectors for the records that only have text, embedded in one batch. */
  private async withVectors(c: Collection, records: RecordBody[]): Promise<RecordInput[]> {
    const modelId = modelOf(c);
    const needText = records.flatMap((r, i) => (r.vector === undefined ? [i] : []));
    for (const i of needText) {
      const problem = vectorSourceProblem(records[i], modelId);
      if (problem) throw new VectraError('INVALID_RECORD', `records[${i}]: ${problem}`);
    }
    const vectors = needText.length > 0 ? await this.embedding.embedDocuments(c, needText.map((i) => records[i].text!)) : [];
    needText.forEach((i, j) => {
      const problem = zeroVectorProblem(vectors[j], modelId);
      if (problem) throw new VectraError('INVALID_RECORD', `records[${i}]: ${problem}`);
    });
    const byIndex = new Map(needText.map((i, j) => [i, vectors[j]]));
    return records.map((r, i) => ({ id: r.id, text: r.text ?? null, metadata: r.metadata, vector: r.vector ?? byIndex.get(i)! }));
  }

  async upsert(tenantId: string, name: string, records: RecordBody[]): Promise<{ ids: string[]; upserted: number; seq: number }> {
    if (records.length === 0) throw new VectraError('INVALID_ARGUMENT', 'records must contain at least one record');
    if (records.length > this.maxBatch) throw new VectraError('INVALID_ARGUMENT', `at most ${this.maxBatch} records per request; split the batch`);
    const c = this.collections.get(tenantId, name);
    const inputs = await this.withVectors(c, records);
    // The collection may have been dropped while we embedded: get() again.
    const { ids, seq } = await this.collections.upsert(tenantId, name, inputs);
    return { ids, upserted: ids.length, seq };
  }

  get(tenantId: string, name: string, id: string, includeVector: boolean): StoredRecord {
    const r = this.collections.get(tenantId, name).get(id, { includeVector });
    if (!r) throw new VectraError('RECORD_NOT_FOUND', `record "${id}" does not exist in collection "${name}"`);
    return r;
  }

  /** Delete one record; the collection's seq after the delete. */
  async delete(tenantId: string, name: string, id: string): Promise<{ seq: number }> {
    const { deleted, seq } = await this.collections.delete(tenantId, name, [id]);
    if (deleted === 0) throw new VectraError('RECORD_NOT_FOUND', `record "${id}" does not exist in collection "${name}"`);
    return { seq };
  }

  deleteMany(tenantId: string, name: string, ids: string[] | undefined, filter: Record<string, unknown> | undefined): Promise<{ deleted: number; seq: number }> {
    if ((ids === undefined) === (filter === undefined)) throw new VectraError('INVALID_ARGUMENT', 'give exactly one of "ids" or "filter"');
    return ids !== undefined ? this.collections.delete(tenantId, name, ids) : this.collections.deleteWhere(tenantId, name, filter!);
  }

  /** A page of the collection's change feed (see Collection.changes). */
  changes(tenantId: string, name: string, since: number, limit: number | undefined, includeRecord: boolean): Promise<ChangePage> {
    return this.collections.changes(tenantId, name, since, limit, includeRecord);
  }

  list(tenantId: string, name: string, opts: { limit?: number; cursor?: string; filter?: string; includeVector?: boolean }) {
    let filter: Record<string, unknown> | undefined;
    if (opts.filter !== undefined) {
      try {
        filter = JSON.parse(opts.filter) as Record<string, unknown>;
      } catch {
        throw new VectraError('INVALID_FILTER', 'filter: the "filter" query parameter must be URL-encoded JSON');
      }
    }
    return this.collections.get(tenantId, name).list({ limit: opts.limit, cursor: opts.cursor ?? null, filter, includeVector: opts.includeVector });
  }
}
