import { VectraError } from '../errors.js';
import type { SearchHit, SearchPlan } from '../engine/index.js';
import type { ModelRegistry } from '../embed/registry.js';
import type { CollectionService } from './collections.js';

export interface SearchBody {
  text?: string;
  vector?: number[];
  k?: number;
  ef?: number;
  filter?: Record<string, unknown>;
  mode?: 'dense' | 'keyword' | 'hybrid';
  return?: 'object' | 'id';
  includeVector?: boolean;
  exact?: boolean;
}

export interface SearchAnswer {
  results: SearchHit[];
  took_ms: number;
  plan: SearchPlan;
}

export class SearchService {
  constructor(
    private readonly collections: CollectionService,
    private readonly models: ModelRegistry,
  ) {}

  async search(tenantId: string, name: string, body: SearchBody): Promise<SearchAnswer> {
    const started = performance.now();
    if ((body.text === undefined) === (body.vector === undefined)) throw new VectraError('INVALID_ARGUMENT', 'give exactly one of "text" or "vector"');
    const mode = body.mode ?? 'dense';
    if (mode !== 'dense') throw new VectraError('UNSUPPORTED_MODE', `mode "${mode}" is not available on this server yet; use "dense"`);
    const c = this.collections.get(tenantId, name);
    let vector: ArrayLike<number> | undefined = body.vector;
    if (body.text !== undefined) {
      const modelId = String(c.config.attributes.model ?? 'none');
      if (modelId === 'none') throw new VectraError('INVALID_ARGUMENT', 'this collection has no model ("none"): search with "vector"');
      [vector] = await this.models.require(modelId).embed([body.text], 'query');
    }
    const result = await this.collections.get(tenantId, name).searchBatched({
      vector: vector!,
      k: body.k ?? 10,
      ef: body.ef,
      filter: body.filter,
      exact: body.exact,
      include: body.return === 'id' ? 'id' : 'payload',
      includeVector: body.includeVector,
    });
    return { results: result.hits, took_ms: Math.round((performance.now() - started) * 1000) / 1000, plan: result.plan };
  }
}
