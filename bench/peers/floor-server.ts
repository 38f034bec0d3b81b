/**
 * The HTTP floor for bench:peers: Vectra's engine (the same `Collection` the embedded row
 * measures) behind a bare `node:http` server: no auth, no validation, no routing library, no
 * logging, no metrics, answers built with JSON.stringify. Not a product: it measures what any
 * Node HTTP server over this engine pays for the socket, the body and the answer on this
 * machine, with the same client, so "HTTP ≥ 70 % of the embedded engine" can be read against
 * what is possible at all.
 *
 * Usage: node [npm start's flags] --import tsx bench/peers/floor-server.ts <dataDir>
 * Prints `listening <port>` once it accepts. POST …/records {records: [{id, vector}]} (as bench/lib/server.ts's upsertAll sends),
 * POST /search {vector, k, ef} → {results: [{id}]}.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Collection } from '../../src/engine/index.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const collection = await Collection.create(join(process.argv[2], 'c'), { dimension: 100, metric: 'cosine' }, { logger: quiet as never });

async function body(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const server = createServer(async (req, res) => {
  try {
    const b = await body(req);
    let answer: unknown;
    if (req.url === '/search') {
      answer = { results: collection.search({ vector: Float32Array.from(b.vector as number[]), k: b.k, ef: b.ef, include: 'id' }).hits.map((h) => ({ id: h.id })) };
    } else if (req.url?.endsWith('/records')) {
      answer = collection.upsert((b.records as { id: string; vector: number[] }[]).map((r) => ({ id: r.id, vector: Float32Array.from(r.vector) })));
    } else {
      res.writeHead(404).end();
      return;
    }
    const text = JSON.stringify(answer);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  } catch (e) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(String(e));
  }
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void collection.close().then(() => process.exit(0));
});
