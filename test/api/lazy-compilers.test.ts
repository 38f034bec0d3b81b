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
    assert.equal(await compilers.precompile(['/a']), 2, "/a's body validator and its 200 serializer");
    assert.equal(await compilers.precompile(['/a']), 0, 'already compiled');
    const bad = await app.inject({ method: 'POST', url: '/a', payload: { k: 0 } });
    assert.equal(bad.statusCode, 400);
    const good = await app.inject({ method: 'POST', url: '/a', payload: { k: 3 } });
    assert.deepEqual(good.json(), { k: 3 }, 'serialized by the response schema');
    // /b was left to its first request, which compiles both of its schemas.
    const b = await app.inject({ method: 'POST', url: '/b', payload: { k: 2 } });
    assert.deepEqual(b.json(), { k: 2 });
    assert.equal(await compilers.precompile(['/b', '/nowhere']), 0, 'compiled by its first request');
    await app.close();
  });

  it('a route never precompiled still compiles on its first request', async () => {
    const { app, compilers } = await twoRoutes();
    const bad = await app.inject({ method: 'POST', url: '/b', payload: { k: 'x' } });
    assert.equal(bad.statusCode, 400);
    // /b's validator was compiled by that request; its 200 serializer was not needed yet.
    assert.equal(await compilers.precompile(['/a', '/b']), 3, "/a's two schemas and /b's serializer");
    const b = await app.inject({ method: 'POST', url: '/b', payload: { k: 5 } });
    assert.deepEqual(b.json(), { k: 5 });
    await app.close();
  });

  it('the routes the server precompiles once ready are its routes (a renamed route would silently stay lazy)', async () => {
    const server = await testServer();
    for (const url of HOT_ROUTES) assert.ok(server.app.hasRoute({ method: 'POST', url }), url);
  });
});
