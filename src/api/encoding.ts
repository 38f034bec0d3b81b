/**
 * Text that arrives as bytes is checked before it is decoded: Fastify's own JSON parser (and
 * its query-string parser) turned invalid UTF-8 into U+FFFD, or left it undecoded, and the
 * request went on with text the client never sent. Here such a request is a 400
 * INVALID_ENCODING saying where. NDJSON lines are checked line by line as they are split
 * (src/services/ingest.ts).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyRequest } from 'fastify';
import { VectraError } from '../errors.js';
import { badByte, invalidUtf8At } from '../utf8.js';
import type { App } from './context.js';
import { HttpError } from './error-codes.js';

/**
 * JSON bodies: UTF-8 checked (natively, one pass), then parsed. Fastify's body limit and
 * Content-Length check still apply (they run before the parser). Like Fastify's parser, a
 * leading BOM is dropped.
 *
 * Keys named `__proto__` or `constructor` are kept as the data they are: JSON.parse makes
 * them ordinary own properties, which nothing here merges into other objects (metadata is
 * validated, stored and filtered by own keys), so they are stored and answered like any key,
 * as NDJSON lines always were. Fastify's default parser refused them as "not valid JSON".
 */
export function parseJsonBody(_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void): void {
  if (body.length === 0) return done(new HttpError('INVALID_JSON', 'the request body is empty; send a JSON document (or no Content-Type: application/json)'));
  if (!isUtf8(body)) {
    return done(new VectraError('INVALID_ENCODING', `the request body is not valid UTF-8 (${badByte(body, invalidUtf8At(body))}); JSON must be sent as UTF-8`));
  }
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    done(null, JSON.parse(text));
  } catch (e) {
    done(new HttpError('INVALID_JSON', `the request body is not valid JSON: ${(e as Error).message}`));
  }
}

/**
 * Query strings: a value whose percent-encoding does not decode to UTF-8 (`%FF`, `%E9`, a lone
 * `%`) reached the route undecoded, as literal text; it is refused instead, by name.
 */
export function checkQueryEncoding(url: string): void {
  const q = url.indexOf('?');
  if (q < 0 || url.indexOf('%', q) < 0) return;
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    for (const part of eq < 0 ? [name] : [name, pair.slice(eq + 1)]) {
      try {
        decodeURIComponent(part);
      } catch {
        const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
        throw new VectraError('INVALID_ENCODING', `the query parameter ${shown} is not valid percent-encoding of UTF-8; encode names and values with encodeURIComponent (a literal "%" is %25)`);
      }
    }
  }
}

export function registerEncodingChecks(app: App): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => parseJsonBody(req, body as Buffer, done));
  app.addHook('onRequest', async (req) => checkQueryEncoding(req.raw.url ?? ''));
}
