/** A small client of a running Vectra server for the CLI (import, export) and benchmarks. */
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface StreamResult {
  line: number;
  id?: string;
  error?: { code: string; message: string };
}

export class ServerError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The server could not be reached at all (refused, unknown host, reset): says where, and why. */
export class UnreachableError extends Error {
  constructor(readonly base: string, cause: unknown) {
    const c = cause as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    // fetch wraps the socket's error ("fetch failed"); http.request gives it directly.
    const why = c?.cause?.message ?? c?.message ?? String(cause);
    super(`cannot reach the Vectra server at ${base} (${why})`);
  }
}

/** A URL on the server; a base that is not an http(s) URL is a clear error, not "Invalid URL". */
function on(base: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(path, base);
  } catch {
    throw new Error(`the server URL "${base}" (--url or VECTRA_URL) is not a URL; give one like http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`the server URL "${base}" (--url or VECTRA_URL) is not http(s); give one like http://127.0.0.1:8080`);
  return url;
}

function headers(key: string, contentType?: string): Record<string, string> {
  return { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) };
}

/** The error envelope of a failed answer as a ServerError. */
async function failure(status: number, text: string): Promise<ServerError> {
  try {
    const e = (JSON.parse(text) as { error?: { code: string; message: string } }).error;
    if (e) return new ServerError(status, e.code, e.message);
  } catch {
    // not JSON
  }
  return new ServerError(status, 'HTTP_ERROR', `HTTP ${status}: ${text.slice(0, 200)}`);
}

/**
 * POST NDJSON lines to /records/stream (written as fast as the server takes them) and call
 * `onResult` for each line's result as it comes back; resolves with the summary line.
 */
export function streamRecords(base: string, key: string, collection: string, lines: string[], onResult: (r: StreamResult) => void): Promise<{ lines: number; upserted: number; errors: number }> {
  const url = on(base, `/v1/collections/${encodeURIComponent(collection)}/records/stream`);
  const send = url.protocol === 'https:' ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers: headers(key, 'application/x-ndjson') }, (res) => {
      let buf = '';
      type Summary = { done: boolean; lines: number; upserted: number; errors: number; error?: { code: string; message: string } };
      let summary: Summary | null = null;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        if (res.statusCode !== 200) return;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const obj = JSON.parse(buf.slice(0, nl)) as StreamResult | Summary;
          buf = buf.slice(nl + 1);
          if ('done' in obj) summary = obj;
          else onResult(obj);
        }
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return void failure(res.statusCode ?? 0, buf).then(reject);
        if (!summary) return reject(new Error('the server closed the stream without a summary'));
        if (!summary.done) return reject(new ServerError(200, summary.error?.code ?? 'STREAM_FAILED', summary.error?.message ?? 'the stream stopped'));
        resolve(summary);
      });
      res.on('error', (e) => reject(new UnreachableError(base, e)));
    });
    req.on('error', (e) => reject(new UnreachableError(base, e)));
    let i = 0;
    const pump = () => {
      while (i < lines.length) {
        let chunk = '';
        while (i < lines.length && chunk.length < 65536) chunk += `${lines[i++]}\n`;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** GET a JSON answer; a non-2xx answer throws its error. */
export async function getJson<T>(base: string, key: string, path: string): Promise<T> {
  const url = on(base, path);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { headers: headers(key) });
    text = await res.text();
  } catch (e) {
    throw new UnreachableError(base, e);
  }
  if (!res.ok) throw await failure(res.status, text);
  return JSON.parse(text) as T;
}
