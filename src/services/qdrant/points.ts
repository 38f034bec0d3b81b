/**
 * Qdrant's point operations over a Vectra collection: upsert (list and batch forms), get,
 * delete, scroll, count, payload updates, vector updates and batches of these. A point is a
 * record: its id (ids.ts), its vector, its payload as metadata. Each operation runs without
 * yielding between its reads and its write, so it sees and changes one state.
 */
import { isVectraError, VectraError } from '../../errors.js';
import type { Collection, RecordInput, StoredRecord } from '../../engine/index.js';
import type { CollectionService } from '../collections.js';
import { badInput, given, intOption, isObject, pointOut, refuse, SHARDING, updateResult, type PointOut } from './common.js';
import { andFilters, toVectraFilter } from './filter.js';
import { onlyFields, type BodyKind } from './fields.js';
import { toPointId, toVectraId, toVectraIds, type PointId } from './ids.js';
import { deletePayloadKeys, mergePayload, overwritePayload, payloadSelector, vectorSelector, type Payload } from './payload.js';

type Body = Record<string, unknown>;
type UpdateResult = ReturnType<typeof updateResult>;

/** Records read per page while collecting the points a filter selects. */
const PAGE = 10000;
/** Qdrant's payload index types. */
const FIELD_TYPES = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'];

/** Every record: a filter no record fails. */
const EVERY_RECORD = { $not: { $ids: [] } };

/** A point of an upsert: its Vectra id, vector and payload. */
interface PointIn {
  id: string;
  vector: unknown;
  payload: Payload;
}

function vectorIn(v: unknown, at: string): unknown {
  if (Array.isArray(v) && v.some(Array.isArray)) badInput(at, 'multivectors are not supported by Vectra\'s Qdrant-compatible API: give one array of numbers');
  if (isObject(v)) badInput(at, 'named vectors, sparse vectors and inference objects are not supported by Vectra\'s Qdrant-compatible API: give an array of numbers');
  if (!Array.isArray(v)) badInput(at, 'expected an array of numbers');
  return v;
}

function payloadIn(p: unknown, at: string): Payload {
  if (!given(p)) return {};
  if (!isObject(p)) badInput(at, 'expected a JSON object');
  return p;
}

/** The engine's record errors name `records[i].metadata`: said in Qdrant's words (points, payload). */
function inQdrantTerms(e: unknown, at: string): unknown {
  if (!isVectraError(e) || !['INVALID_RECORD', 'INVALID_VECTOR', 'DIMENSION_MISMATCH'].includes(e.code)) return e;
  const message = e.message.replace(/records\[(\d+)\]/g, `${at}[$1]`).replace(/\.metadata\b/g, '.payload');
  return new VectraError(e.code, message);
}

export class QdrantPoints {
  constructor(
    private readonly collections: CollectionService,
    private readonly maxBatch: number,
  ) {}

  private collection(tenantId: string, name: string): Collection {
    return this.collections.get(tenantId, name);
  }

  // ------------------------------------------------------------------ writes

  /** PUT /points: `{points: [...]}` or `{batch: {ids, vectors, payloads}}`. */
  async upsert(tenantId: string, name: string, body: Body, at = ''): Promise<UpdateResult> {
    refuse(body, { ...SHARDING, update_filter: 'update_filter (conditional updates)' }, at);
    const points = this.pointsIn(body, at);
    const c = this.collection(tenantId, name);
    const mode = given(body.update_mode) ? body.update_mode : 'upsert';
    if (mode !== 'upsert' && mode !== 'insert_only' && mode !== 'update_only') badInput(`${at}update_mode`, 'must be upsert, insert_only or update_only');
    // As Qdrant: a later point with the same id wins.
    const last = new Map(points.map((p, i) => [p.id, i]));
    const kept = points.filter((p, i) => last.get(p.id) === i && (mode === 'upsert' || (c.get(p.id) !== null) === (mode === 'update_only')));
    const records: RecordInput[] = kept.map((p) => ({ id: p.id, vector: p.vector as number[], metadata: p.payload }));
    return updateResult(await this.write(tenantId, name, c, records, `${at}points`));
  }

  private pointsIn(body: Body, at: string): PointIn[] {
    const hasList = given(body.points);
    const hasBatch = given(body.batch);
    if (hasList === hasBatch) badInput(at || 'body', 'give exactly one of "points" (a list of points) or "batch" ({"ids", "vectors", "payloads"})');
    let points: PointIn[];
    if (hasList) {
      if (!Array.isArray(body.points)) badInput(`${at}points`, 'expected an array of points');
      points = body.points.map((p, i) => {
        const where = `${at}points[${i}]`;
        if (!isObject(p)) badInput(where, 'expected {"id", "vector", "payload"?}');
        for (const k of Object.keys(p)) if (!['id', 'vector', 'payload'].includes(k)) badInput(`${where}.${k}`, 'unknown field of a point (id, vector, payload)');
        return { id: toVectraId(p.id, `${where}.id`), vector: vectorIn(p.vector, `${where}.vector`), payload: payloadIn(p.payload, `${where}.payload`) };
      });
    } else {
      const b = body.batch;
      if (!isObject(b)) badInput(`${at}batch`, 'expected {"ids", "vectors", "payloads"?}');
      for (const k of Object.keys(b)) if (!['ids', 'vectors', 'payloads'].includes(k)) badInput(`${at}batch.${k}`, 'unknown field of a batch (ids, vectors, payloads)');
      const ids = toVectraIds(b.ids, `${at}batch.ids`);
      if (!Array.isArray(b.vectors) || b.vectors.length !== ids.length) badInput(`${at}batch.vectors`, `expected an array of ${ids.length} vectors, one per id`);
      const payloads = given(b.payloads) ? b.payloads : [];
      if (!Array.isArray(payloads) || (payloads.length > 0 && payloads.length !== ids.length)) badInput(`${at}batch.payloads`, `expected an array of ${ids.length} payloads (or null), one per id`);
      const vectors = b.vectors;
      points = ids.map((id, i) => ({ id, vector: vectorIn(vectors[i], `${at}batch.vectors[${i}]`), payload: payloadIn(payloads[i], `${at}batch.payloads[${i}]`) }));
    }
    if (points.length > this.maxBatch) badInput(at || 'body', `at most ${this.maxBatch} points per request (VECTRA_MAX_BATCH); split the upsert`);
    return points;
  }

  /** One atomic write of whole records; the collection's seq after it. */
  private async write(tenantId: string, name: string, c: Collection, records: RecordInput[], at: string): Promise<number> {
    if (records.length === 0) return c.seq;
    try {
      return (await this.collections.upsert(tenantId, name, records)).seq;
    } catch (e) {
      throw inQdrantTerms(e, at);
    }
  }

  /** POST /points/delete: `{points: [...]}` or `{filter}` (a filter matching everything deletes everything, as in Qdrant). */
  async delete(tenantId: string, name: string, body: Body, at = ''): Promise<UpdateResult> {
    const sel = this.selector(body, at);
    const { seq } = sel.ids ? await this.collections.delete(tenantId, name, sel.ids) : await this.collections.deleteWhere(tenantId, name, sel.filter ?? EVERY_RECORD);
    return updateResult(seq);
  }

  /** A points selector: ids, or a (translated) filter; undefined filter = every point. */
  private selector(body: Body, at: string, optional = false): { ids?: string[]; filter?: Record<string, unknown> } {
    refuse(body, SHARDING, at);
    const hasIds = given(body.points);
    const hasFilter = given(body.filter);
    if (hasIds && hasFilter) {
      if (!optional) badInput(at || 'body', 'give "points" or "filter", not both');
      return { filter: andFilters({ $ids: toVectraIds(body.points, `${at}points`) }, toVectraFilter(body.filter, `${at}filter`)) };
    }
    if (hasIds) return { ids: toVectraIds(body.points, `${at}points`) };
    if (hasFilter) return { filter: toVectraFilter(body.filter, `${at}filter`) };
    badInput(at || 'body', 'give "points" (a list of ids) or "filter"');
  }

  /** The records a selector picks, with their vectors (to write them back whole). */
  private selected(c: Collection, sel: { ids?: string[]; filter?: Record<string, unknown> }): StoredRecord[] {
    if (sel.ids) return [...new Set(sel.ids)].flatMap((id) => c.get(id, { includeVector: true }) ?? []);
    const out: StoredRecord[] = [];
    let cursor: string | null = null;
    do {
      const page = c.list({ limit: PAGE, cursor, filter: sel.filter, includeVector: true });
      out.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  /** Rewrite the payloads of the selected points (vector and text kept). */
  private async rewritePayloads(tenantId: string, name: string, body: Body, at: string, change: (p: Payload) => Payload): Promise<UpdateResult> {
    const sel = this.selector(body, at, true);
    const c = this.collection(tenantId, name);
    const records = this.selected(c, sel).map((r) => ({ id: r.id, vector: r.vector!, text: r.text, metadata: change(r.metadata) }));
    return updateResult(await this.write(tenantId, name, c, records, `${at}points`));
  }

  /** POST /points/payload: merge keys into the payloads (at `key`, a dotted path, if given). */
  async setPayload(tenantId: string, name: string, body: Body, at = ''): Promise<UpdateResult> {
    const key = given(body.key) ? body.key : undefined;
    if (key !== undefined && typeof key !== 'string') badInput(`${at}key`, 'expected a payload key');
    mergePayload({}, body.payload, key, `${at}payload`);
    return this.rewritePayloads(tenantId, name, body, at, (p) => mergePayload(p, body.payload, key));
  }

  /** PUT /points/payload: replace the payloads. */
  async overwritePayload(tenantId: string, name: string, body: Body, at = ''): Promise<UpdateResult> {
    refuse(body, { key: 'key (overwrite at a nested path)' }, at);
    const payload = overwritePayload(body.payload, `${at}payload`);
    return this.rewritePayloads(tenantId, name, body, at, () => payload);
  }

  /** POST /points/payload/delete: remove keys (dotted paths) from the payloads. */
  async deletePayload(tenantId: string, name: string, body: Body, at = ''): Promise<UpdateResult> {
    deletePayloadKeys({}, body.keys, `${at}keys`);
    return this.rewritePayloads(tenantId, name, body, at, (p) => deletePayloadKeys(p, body.keys));
  }

  /** POST /points/payload/clear: empty the payloads. */
  async clearPayload(tenantId: string, name: string, body: Body, at = ''): Promise<UpdateResult> {
    return this.rewritePayloads(tenantId, name, body, at, () => ({}));
  }

  /** PUT /points/vectors: new vectors for existing points (payloads kept). */
  async updateVectors(tenantId: string, name: string, body: Body, at = ''): Promise<UpdateResult> {
    refuse(body, { ...SHARDING, update_filter: 'update_filter (conditional updates)' }, at);
    if (!Array.isArray(body.points)) badInput(`${at}points`, 'expected an array of {"id", "vector"}');
    if (body.points.length > this.maxBatch) badInput(`${at}points`, `at most ${this.maxBatch} points per request (VECTRA_MAX_BATCH)`);
    const c = this.collection(tenantId, name);
    const records = body.points.map((p, i) => {
      const where = `${at}points[${i}]`;
      if (!isObject(p)) badInput(where, 'expected {"id", "vector"}');
      const id = toVectraId(p.id, `${where}.id`);
      const vector = vectorIn(p.vector, `${where}.vector`) as number[];
      const r = c.get(id);
      if (!r) throw new VectraError('RECORD_NOT_FOUND', `No point with id ${JSON.stringify(toPointId(id))} found`);
      return { id, vector, text: r.text, metadata: r.metadata };
    });
    return updateResult(await this.write(tenantId, name, c, records, `${at}points`));
  }

  /** POST /points/batch: the operations in order, each as its own request would run. */
  async batch(tenantId: string, name: string, body: Body): Promise<UpdateResult[]> {
    refuse(body, SHARDING);
    if (!Array.isArray(body.operations)) badInput('operations', 'expected an array of operations');
    const ops: Record<string, [BodyKind, (b: Body, at: string) => Promise<UpdateResult>]> = {
      upsert: ['upsert', (b, at) => this.upsert(tenantId, name, b, at)],
      delete: ['selector', (b, at) => this.delete(tenantId, name, b, at)],
      set_payload: ['setPayload', (b, at) => this.setPayload(tenantId, name, b, at)],
      overwrite_payload: ['setPayload', (b, at) => this.overwritePayload(tenantId, name, b, at)],
      delete_payload: ['deletePayload', (b, at) => this.deletePayload(tenantId, name, b, at)],
      clear_payload: ['selector', (b, at) => this.clearPayload(tenantId, name, b, at)],
      update_vectors: ['updateVectors', (b, at) => this.updateVectors(tenantId, name, b, at)],
    };
    // Checked before any runs: an operation this subset lacks fails the request, not half of it.
    const steps = body.operations.map((op, i) => {
      const at = `operations[${i}]`;
      if (!isObject(op) || Object.keys(op).length !== 1) badInput(at, 'expected one operation, e.g. {"upsert": {...}}');
      const [kind] = Object.keys(op);
      if (!ops[kind]) badInput(`${at}.${kind}`, `${kind === 'delete_vectors' ? 'deleting vectors (every point has its one vector)' : 'this operation'} is not supported by Vectra's Qdrant-compatible API`);
      const [fields, run] = ops[kind];
      const opBody = onlyFields(op[kind], fields, `${at}.${kind}.`);
      return () => run(opBody, `${at}.${kind}.`);
    });
    const out: UpdateResult[] = [];
    for (const step of steps) out.push(await step());
    return out;
  }

  /**
   * PUT /index (`{field_name, field_schema}`) and DELETE /index/{field}: Vectra indexes every
   * payload field already, so there is nothing to build or drop; the collection must exist.
   */
  fieldIndex(tenantId: string, name: string, body?: Body): UpdateResult {
    if (body) {
      if (typeof body.field_name !== 'string' || body.field_name.length === 0) badInput('field_name', 'expected a payload key');
      const schema = isObject(body.field_schema) ? body.field_schema.type : body.field_schema;
      if (given(schema) && !FIELD_TYPES.includes(String(schema))) badInput('field_schema', `expected one of ${FIELD_TYPES.join(', ')}`);
    }
    return updateResult(this.collection(tenantId, name).seq);
  }

  // ------------------------------------------------------------------ reads

  /** POST /points: the points with these ids that exist, in the order asked. */
  retrieve(tenantId: string, name: string, body: Body): PointOut[] {
    refuse(body, SHARDING);
    const ids = toVectraIds(body.ids, 'ids');
    const sel = payloadSelector(body.with_payload, true);
    const withVector = vectorSelector(body.with_vector);
    const c = this.collection(tenantId, name);
    return [...new Set(ids)].flatMap((id) => {
      const r = c.get(id, { includeVector: withVector });
      return r ? [pointOut(r, sel, c.config.metric)] : [];
    });
  }

  /** GET /points/{id}: the point with its payload and vector, or 404. */
  get(tenantId: string, name: string, id: string): PointOut {
    const vid = toVectraId(/^\d+$/.test(id) ? Number(id) : id, 'id');
    const c = this.collection(tenantId, name);
    const r = c.get(vid, { includeVector: true });
    if (!r) throw new VectraError('RECORD_NOT_FOUND', `Point with id ${toPointId(vid)} does not exists!`);
    return pointOut(r, true, c.config.metric);
  }

  /** POST /points/scroll: a page of points in id order from `offset` (inclusive), and the id the next page starts at. */
  scroll(tenantId: string, name: string, body: Body): { points: PointOut[]; next_page_offset: PointId | null } {
    refuse(body, { ...SHARDING, order_by: 'order_by (ordering by a payload field)' });
    const limit = intOption(body.limit, 'limit', 10, 1, 100_000);
    const from = given(body.offset) ? toVectraId(body.offset, 'offset') : undefined;
    const filter = toVectraFilter(body.filter);
    const sel = payloadSelector(body.with_payload, true);
    const withVector = vectorSelector(body.with_vector);
    const c = this.collection(tenantId, name);
    // One more than the page: its id is where the next page starts.
    const records: StoredRecord[] = [];
    let page = c.list({ limit: Math.min(PAGE, limit + 1), from, filter, includeVector: withVector });
    records.push(...page.records);
    while (records.length < limit + 1 && page.nextCursor) {
      page = c.list({ limit: Math.min(PAGE, limit + 1 - records.length), cursor: page.nextCursor, filter, includeVector: withVector });
      records.push(...page.records);
    }
    const next = records.length > limit ? toPointId(records[limit].id) : null;
    return { points: records.slice(0, limit).map((r) => pointOut(r, sel, c.config.metric)), next_page_offset: next };
  }

  /** POST /points/count: exact, always (`exact: false` gets the exact count too). */
  count(tenantId: string, name: string, body: Body): { count: number } {
    refuse(body, SHARDING);
    if (given(body.exact) && typeof body.exact !== 'boolean') badInput('exact', 'expected true or false');
    return { count: this.collection(tenantId, name).count(toVectraFilter(body.filter)) };
  }
}
