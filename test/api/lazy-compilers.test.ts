import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { lazyCompilers } from '../../src/api/lazy-compilers.js';
import { HOT_ROUTES } from '../../src/server.js';
import { testServer } from '../support/server.js';

/** An app of two routes, each with a body validator and a response serializer, compiled lazily. */
async function twoRoutes() {
  const compilers = lazyCompilers();
  const app = Fastify({ schemaController: { compilersFactory: compilers.factory as never } });
  const schema = {
    body: { type: 'object', required: ['k'], properties: { k: { type: 'integer', minimum: 1 } }, additionalProperties: false },
    response: { 200: { type: 'object', properties: { k: { type: 'integer' } } } },
  };
  for (const url of ['/a', '/b']) app.post(url, { schema }, async (req) => ({ k: (req.body as { k: number }).k, hidden: 'not in the schema' }));
  await app.ready();
  return { app, compilers };
}

describe('route schemas compiled on first use, or ahead by precompile', () => {
  it('precompile compiles only the routes it is given, once; they then validate and serialize as before', async () => {
    const { app, compilers } = await twoRoutes();
    assert.equal(await compilers.precompile([['POST', '/a']], () => true), 0, 'stopped (the server is closing): nothing compiled');
    assert.equal(await compilers.precompile([['POST', '/a']]), 2, "/a's body validator and its 200 serializer");
    assert.equal(await compilers.precompile([['POST', '/a']]), 0, 'already compiled');
    const bad = await app.inject({ method: 'POST', url: '/a', payload: { k: 0 } });
    assert.equal(bad.statusCode, 400);
    const good = await app.inject({ method: 'POST', url: '/a', payload: { k: 3 } });
    assert.deepEqual(good.json(), { k: 3 }, 'serialized by the response schema');
    // /b was left to its first request, which compiles both of its schemas.
    const b = await app.inject({ method: 'POST', url: '/b', payload: { k: 2 } });
    assert.deepEqual(b.json(), { k: 2 });
    assert.equal(await compilers.precompile([['POST', '/b'], ['POST', '/nowhere'], ['GET', '/a']]), 0, 'compiled by its first request');
    await app.close();
  });

  it('a route never precompiled still compiles on its first request', async () => {
    const { app, compilers } = await twoRoutes();
    const bad = await app.inject({ method: 'POST', url: '/b', payload: { k: 'x' } });
    assert.equal(bad.statusCode, 400);
    // /b's validator was compiled by that request; its 200 serializer was not needed yet.
    assert.equal(await compilers.precompile([['POST', '/a'], ['POST', '/b']]), 3, "/a's two schemas and /b's serializer");
    const b = await app.inject({ method: 'POST', url: '/b', payload: { k: 5 } });
    assert.deepEqual(b.json(), { k: 5 });
    await app.close();
  });

  it('the server compiles its hot routes once ready: their request schemas and 200 serializers, nothing else', async () => {
    const server = await testServer();
    for (const [method, url] of HOT_ROUTES) assert.ok(server.app.hasRoute({ method: method as 'POST', url }), `${method} ${url}`);
    // POST search and POST records: body, params, 200 each. Not their error responses, not
    // GET /records (the same URL) nor its HEAD.
    assert.equal(await server.precompiled, 6);
  });
});
