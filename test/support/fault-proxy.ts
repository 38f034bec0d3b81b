/**
 * A proxy in front of a real server that misbehaves on request: the next requests can be
 * answered by the proxy itself (a 429 with Retry-After, a 503), held back, or cut off, before
 * everything else is forwarded as it is. For clients' retry, timeout and abort paths.
 */
import { request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { localHttp } from './net.js';

export type Fault =
  /** Answer this instead of forwarding (the request's body is read and dropped). */
  | { status: number; headers?: Record<string, string>; body?: unknown }
  /** Forward after this long. */
  | { delayMs: number }
  /** Destroy the connection without an answer. */
  | { drop: true }
  /** Never answer (until the client goes away). */
  | { hang: true };

export interface Seen {
  method: string;
  url: string;
  at: number;
  /** What the proxy did: the fault's kind, or "forwarded". */
  did: string;
}

export async function faultProxy(target: string) {
  const faults: Fault[] = [];
  const seen: Seen[] = [];
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const up = request(new URL(req.url!, target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  };
  const http = await localHttp((req, res) => {
    const fault = faults.shift();
    const did = !fault ? 'forwarded' : 'status' in fault ? String(fault.status) : 'delayMs' in fault ? 'delayed' : 'drop' in fault ? 'dropped' : 'hung';
    seen.push({ method: req.method!, url: req.url!, at: Date.now(), did });
    if (!fault) return forward(req, res);
    if ('status' in fault) {
      req.resume();
      req.on('end', () => res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end(JSON.stringify(fault.body ?? {})));
    } else if ('delayMs' in fault) {
      const timer = setTimeout(() => forward(req, res), fault.delayMs);
      res.on('close', () => clearTimeout(timer));
    } else if ('drop' in fault) {
      req.socket.destroy();
    }
    // hang: nothing, ever
  });
  return {
    /** The proxy's base URL (no trailing slash). */
    url: http.url.replace(/\/$/, ''),
    /** Misbehave on the next requests, one fault each, in order. */
    next(...f: Fault[]) {
      faults.push(...f);
    },
    seen,
    /** Cut every open connection (streams in flight included), as a restart or a network drop would. */
    cut() {
      http.server.closeAllConnections();
    },
    close: () => http.close(),
  };
}
