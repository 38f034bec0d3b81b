/**
 * Scale-out placement (VECTRA_REPLICAS, docs/scale-out.md#placement): a request about a
 * collection this node does not hold goes, as it came, to a node that does.
 *
 * - Routes under /v1/collections/:name and /qdrant/collections/:name are forwarded from an
 *   onRequest hook, after the key was checked here and before the body is read: the body streams
 *   through, and so does the answer (SSE included). The other node checks the key again — it is
 *   the same key, so the same tenant: forwarding never widens what a key reaches.
 * - Chat (/v1/chat, /v1/chat/completions) names its collections in the body: forwarded after
 *   parsing to a node holding all of them, if one does; else this node loads them on demand
 *   (COLLECTION_LOADING until it has them).
 * - A forwarded request carries its hop count; past MAX_HOPS it is served where it lands, so
 *   placement tables that disagree for a moment never make a loop.
 * - Rate limits count where the request is served (the forwarding node's limiter runs after
 *   this hook, so it never sees a forwarded request).
 */
import { request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { NodeAddress } from '../cluster/placement.js';
import type { ClusterNode } from '../cluster/node.js';
import type { App, Services } from './context.js';
import { VectraError } from '../errors.js';
import { REQUEST_LOG_MESSAGE } from './options.js';
import { secretsEqual } from './auth.js';
import { bodyArrived } from './timeouts.js';

export const HOPS_HEADER = 'x-vectra-forwarded';
/** The cluster's shared secret (PostgreSQL's cluster_secret): only with it is a hop count believed. */
export const NODE_TOKEN_HEADER = 'x-vectra-node-token';
/** Set by a node that forwards a request its own rate limiter already counted (chat, forwarded after parsing). */
const COUNTED_HEADER = 'x-vectra-counted';

/** Whether another node of this cluster forwarded this request and already counted it against the key's rate limit. */
export function countedElsewhere(req: FastifyRequest, cluster: ClusterNode): boolean {
  return req.headers[COUNTED_HEADER] === '1' && vouched(req, cluster);
}

/** Whether the request carries the cluster's secret: sent by another node, not by a client. */
function vouched(req: FastifyRequest, cluster: ClusterNode): boolean {
  const token = req.headers[NODE_TOKEN_HEADER];
  return typeof token === 'string' && cluster.forwardSecret !== null && secretsEqual(token, cluster.forwardSecret);
}
const MAX_HOPS = 2;
const CONNECT_TIMEOUT_MS = 3000;
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host'];
const COLLECTION_ROUTE = /^\/(v1|qdrant)\/collections\/:name(\/|$)/;
const CHAT_ROUTES = new Set(['/v1/chat', '/v1/chat/completions']);

export function registerForwarding(app: App, services: Services, registry: Registry): void {
  const cluster = services.cluster;
  if (!cluster?.placement) return;
  // No socket limit: a request waiting for a socket would look like a node that does not answer.
  const agents = { http: new Agent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  app.addHook('onClose', async () => {
    agents.http.destroy();
    agents.https.destroy();
  });
  const forwarded = new Counter({
    name: 'vectra_cluster_forwarded_requests_total',
    help: 'Requests this node forwarded to the node holding their collection (VECTRA_REPLICAS), by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  /**
   * The hops a request has made, as another node said; a client's own X-Vectra-Forwarded counts
   * for nothing (it could otherwise skip forwarding and make any node load any collection).
   */
  const hops = (req: FastifyRequest) => (vouched(req, cluster) ? Number(req.headers[HOPS_HEADER]) || 0 : 0);

  app.addHook('onRequest', async (req, reply) => {
    const name = (req.params as { name?: unknown } | undefined)?.name;
    if (!req.principal || typeof name !== 'string' || !COLLECTION_ROUTE.test(req.routeOptions.url ?? '') || hops(req) >= MAX_HOPS) return;
    const tenant = req.principal.tenantId;
    // A read whose holder refused the connection goes to the next one (or is served here): nothing of it was sent.
    for (let attempt = 0, target = cluster.forwardTarget(tenant, name); target; attempt++, target = cluster.forwardTarget(tenant, name)) {
      const retry = attempt === 0 && (req.method === 'GET' || req.method === 'HEAD');
      if (await forward(req, reply, target, null, retry)) return reply;
    }
  });

  app.addHook('preHandler', async (req, reply) => {
    if (!req.principal || !CHAT_ROUTES.has(req.routeOptions.url ?? '') || hops(req) >= MAX_HOPS) return;
    const names = chatCollections(req.body);
    if (names.length === 0) return;
    const target = cluster.holderOfAll(req.principal.tenantId, names);
    if (target && (await forward(req, reply, target, Buffer.from(JSON.stringify(req.body)), false, true))) return reply;
  });

  /**
   * Send the request to `target` and, once its answer begins, hand this connection to it.
   * `body`: the parsed body again (chat), else the raw body streams through unread. `retry`:
   * a connection refused returns false (the target is suspected; the caller picks another)
   * instead of answering NODE_UNREACHABLE. True once the answer is on its way. (Not the reply
   * itself: a Fastify reply is a thenable, so an async function returning it resolves to
   * undefined once it is sent — which made every forwarded request go out twice.)
   */
  async function forward(req: FastifyRequest, reply: FastifyReply, target: NodeAddress, body: Buffer | null, retry: boolean, counted = false): Promise<boolean> {
    const secret = cluster!.forwardSecret;
    if (secret === null) return false;
    // The body now streams to the other node, which enforces its own deadline.
    bodyArrived(req);
    const headers: OutgoingHttpHeaders = strip(req.headers);
    headers[HOPS_HEADER] = String(hops(req) + 1);
    headers[NODE_TOKEN_HEADER] = secret;
    if (counted) headers[COUNTED_HEADER] = '1';
    else delete headers[COUNTED_HEADER];
    headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], req.ip].filter(Boolean).join(', ');
    if (body) {
      headers['content-length'] = String(body.length);
      headers['content-type'] = 'application/json';
    }
    // The path as it came (req.raw.url), never re-parsed: a URL string would resolve "%2e%2e" and
    // turn DELETE …/documents/%2e%2e into DELETE /v1/collections/a (the collection).
    const to = new URL(target.url);
    const secure = to.protocol === 'https:';
    const out = (secure ? httpsRequest : httpRequest)({
      protocol: to.protocol,
      hostname: to.hostname,
      port: to.port || (secure ? 443 : 80),
      path: req.raw.url,
      method: req.method,
      headers,
      agent: secure ? agents.https : agents.http,
    });
    // Timed from the socket's assignment, checked after the I/O phase (setImmediate): a loop
    // stalled past the timeout must not take a connection made meanwhile for a failed one.
    let connectTimer: NodeJS.Timeout | undefined;
    out.once('socket', (s) => {
      if (!s.connecting) return;
      connectTimer = setTimeout(() => setImmediate(() => s.connecting && out.destroy(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`))), CONNECT_TIMEOUT_MS);
      s.once('connect', () => clearTimeout(connectTimer));
    });
    // The caller going away ends the forwarded request too.
    // (The response's close, not the request's: a request closes once its body is read.)
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) out.destroy();
    });
    if (body) out.end(body);
    // (A GET has no body to stream: ended at once, so that a second attempt is not left waiting for one.)
    else if (req.method === 'GET' || req.method === 'HEAD') out.end();
    else req.raw.pipe(out);
    const started = performance.now();
    let answer;
    try {
      answer = await new Promise<IncomingMessage>((resolve, reject) => {
        out.once('response', resolve);
        out.once('error', reject);
      });
    } catch (e) {
      clearTimeout(connectTimer);
      forwarded.inc({ outcome: 'unreachable' });
      // Never connected (refused, timed out): nothing reached it; it is taken for gone until it beats again.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || /no connection within/.test((e as Error).message)) {
        cluster!.placement!.suspect(target.id);
        if (retry) return false;
      }
      // A kept-alive socket the other node had just closed: a read goes again on a new one.
      if (retry && code === 'ECONNRESET' && out.reusedSocket) return false;
      reply.header('retry-after', '1');
      throw new VectraError('NODE_UNREACHABLE', `the node serving collection(s) of this request (${target.id}) did not answer (${(e as Error).message}); retry in a moment: placement moves the collection when a node is gone`);
    }
    forwarded.inc({ outcome: 'forwarded' });
    reply.hijack();
    reply.raw.writeHead(answer.statusCode ?? 502, strip(answer.headers));
    answer.pipe(reply.raw);
    answer.once('error', () => reply.raw.destroy());
    reply.raw.once('finish', () => {
      req.log.info(
        { tenant: req.principal?.tenantId, route: req.routeOptions.url, method: req.method, status: answer.statusCode, ms: Math.round((performance.now() - started) * 100) / 100, forwardedTo: target.id },
        REQUEST_LOG_MESSAGE,
      );
    });
    return true;
  }
}

function strip(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ...headers };
  for (const h of HOP_BY_HOP) delete out[h];
  return out;
}

/** The collections a chat body names (`collection`, `collections`, or the completions model `rag:a,b`). */
function chatCollections(body: unknown): string[] {
  const b = (body ?? {}) as { collection?: unknown; collections?: unknown; model?: unknown };
  const names = new Set<string>();
  if (typeof b.collection === 'string') names.add(b.collection);
  if (Array.isArray(b.collections)) for (const n of b.collections) if (typeof n === 'string') names.add(n);
  if (typeof b.model === 'string' && b.model.startsWith('rag:')) for (const n of b.model.slice(4).split(',')) if (n.trim()) names.add(n.trim());
  return [...names];
}
