/** The search form → the body of POST /v1/collections/{name}/search, or what to fix first. */
import { checkJson, optionalObject } from './json';

export interface SearchForm {
  by: 'text' | 'vector';
  query: string;
  mode: 'dense' | 'keyword' | 'hybrid';
  fusion: 'rrf' | 'weighted';
  alpha: string;
  filter: string;
  k: string;
  returns: 'object' | 'id';
}

export function searchBody(f: SearchForm): { body: Record<string, unknown>; error: null } | { body: null; error: string } {
  const body: Record<string, unknown> = {};
  if (f.by === 'text') {
    if (f.query.trim() === '') return { body: null, error: 'type a query' };
    body.text = f.query;
  } else {
    const v = checkJson(f.query, 'vector');
    if (v.error !== null) return { body: null, error: `vector: ${v.error}` };
    body.vector = v.value;
  }
  const k = Number(f.k);
  if (!Number.isInteger(k) || k < 1) return { body: null, error: 'k must be a whole number of at least 1' };
  body.k = k;
  if (f.mode !== 'dense') body.mode = f.mode;
  if (f.mode === 'hybrid' && f.fusion === 'weighted') {
    const alpha = Number(f.alpha);
    if (!(alpha >= 0 && alpha <= 1)) return { body: null, error: 'alpha must be between 0 and 1' };
    body.fusion = { type: 'weighted', alpha };
  }
  const filter = optionalObject(f.filter);
  if (filter.error !== null) return { body: null, error: `filter: ${filter.error}` };
  if (filter.value !== undefined) body.filter = filter.value;
  if (f.returns === 'id') body.return = 'id';
  return { body, error: null };
}
