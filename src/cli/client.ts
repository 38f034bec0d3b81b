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
  const url = new URL(`/v1/collections/${encodeURIComponent(collection)}/records/stream`, base);
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
      res.on('error', reject);
    });
    req.on('error', reject);
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
  const res = await fetch(new URL(path, base), { headers: headers(key) });
  const text = await res.text();
  if (!res.ok) throw await failure(res.status, text);
  return JSON.parse(text) as T;
}
