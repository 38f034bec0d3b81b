/**
 * openapi-fetch over the transport: openapi-fetch builds each request from the generated
 * schema (path parameters, query, JSON body) and types its answer; the transport sends it
 * (key, timeout, retries). openapi-fetch is given a plain request class, not fetch's Request:
 * a Request's body can be read only once, and a retry sends the same body again.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.js';
import { type RequestOptions, Transport } from './transport.js';

/** The typed client of every route: `vectra.api.GET('/v1/stats')`. */
export type ApiClient = Client<paths>;

/** What openapi-fetch hands to its fetch: the request as built, before anything is sent. */
class BuiltRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: BodyInit | null;

  constructor(url: string, init: RequestInit = {}) {
    this.url = url;
    this.method = init.method ?? 'GET';
    this.headers = new Headers(init.headers);
    this.body = init.body ?? null;
  }
}

/** Sends what openapi-fetch built through the transport; the answer comes back whole (read within the timeout). */
function sender(transport: Transport, options: RequestOptions, idempotent: boolean) {
  return async (input: Request): Promise<Response> => {
    const built = input as unknown as BuiltRequest;
    const { text, response } = await transport.text(
      { method: built.method, path: built.url, headers: Object.fromEntries(built.headers), body: built.body, idempotent: idempotent || built.method === 'GET' },
      options,
    );
    return new Response(text === '' ? null : text, { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' } });
  };
}

export function apiClient(transport: Transport): ApiClient {
  return createClient<paths>({ baseUrl: '', Request: BuiltRequest as unknown as typeof Request, fetch: sender(transport, {}, false) });
}

/** The per-call options for an openapi-fetch call: this call's signal, timeout and retries. */
export function via(transport: Transport, options: RequestOptions = {}, idempotent = false): { fetch: (input: Request) => Promise<Response> } {
  return { fetch: sender(transport, options, idempotent) };
}

/** The answer's data (every error was already thrown by the transport as a VectraError). */
export async function dataOf<D>(call: Promise<{ data?: D }>): Promise<D> {
  return (await call).data as D;
}

/** A group of calls (collections, keys, …) over the client's transport and typed API client. */
export abstract class Resource {
  constructor(
    protected readonly transport: Transport,
    protected readonly api: ApiClient,
  ) {}
}
