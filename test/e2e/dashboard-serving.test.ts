/**
 * How the server serves the dashboard's files: security headers, caching, the fallback to
 * index.html for the app's own pages, the API's JSON 404 kept for /v1, no path traversal,
 * and a server without a dashboard build still serving the API. Uses a stand-in build in a
 * temp dir, so it needs neither Vite nor a browser.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { call, errorCode, testServer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

const INDEX = '<!doctype html><title>Vectra</title><script type="module" src="/assets/index-abc123.js"></script>';
const SECRET = 'not-for-the-web';

/** A raw GET with the path sent exactly as given (fetch would normalize the dots away). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let url: string;

before(async () => {
  const root = tempDir('vectra-site-');
  const site = join(root, 'site');
  mkdirSync(join(site, 'assets'), { recursive: true });
  writeFileSync(join(site, 'index.html'), INDEX);
  writeFileSync(join(site, 'assets', 'index-abc123.js'), 'console.log("app")');
  writeFileSync(join(site, '.env'), SECRET);
  writeFileSync(join(root, 'secret.txt'), SECRET);
  url = (await testServer({ VECTRA_DASHBOARD_DIR: site })).url;
});

describe('serving the dashboard', () => {
  it('serves index.html at / with a CSP that allows no inline script, and no caching of the page', async () => {
    const r = await call(url, 'GET', '/');
    assert.equal(r.status, 200);
    assert.equal(r.body, INDEX);
    assert.match(r.headers.get('content-type')!, /^text\/html/);
    const csp = r.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
  });

  it('serves hashed assets as immutable', async () => {
    const r = await call(url, 'GET', '/assets/index-abc123.js');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /javascript/);
    assert.match(r.headers.get('cache-control')!, /immutable/);
  });

  it("answers the app's own pages (client-side routes) with index.html", async () => {
    for (const path of ['/collections', '/collections/jobs', '/keys', '/search?collection=jobs']) {
      const r = await call(url, 'GET', path);
      assert.equal(r.status, 200, path);
      assert.equal(r.body, INDEX, path);
      assert.match(r.headers.get('content-security-policy')!, /script-src 'self'/, path);
    }
  });

  it('keeps the API JSON 404 for unknown /v1 paths, missing files and other methods', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nope'],
      ['GET', '/v1'],
      ['GET', '/v1/collections/jobs/nope/deeper'],
      ['GET', '/assets/missing.js'],
      ['GET', '/favicon.ico'],
      ['POST', '/collections'],
      ['DELETE', '/'],
    ]) {
      const r = await call(url, method, path);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(errorCode(r), 'ROUTE_NOT_FOUND', `${method} ${path}: ${JSON.stringify(r.body)}`);
    }
  });

  it('does not loosen the API: /v1 still needs a key, operations routes still answer', async () => {
    const r = await call(url, 'GET', '/v1/collections');
    assert.equal(r.status, 401);
    assert.equal(errorCode(r), 'MISSING_API_KEY');
    assert.equal((await call(url, 'GET', '/health')).body.status, 'ok');
    assert.match((await call(url, 'GET', '/metrics')).body as string, /vectra_http_requests_total/);
  });

  it('never serves a file outside the build, or a dotfile inside it', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '/.env', '/assets/../.env', '//secret.txt']) {
      const r = await rawGet(url, path);
      assert.ok(!r.body.includes(SECRET), `${path} leaked the file (${r.status})`);
      assert.ok(r.status === 404 || r.status === 400 || (r.status === 200 && r.body === INDEX), `${path}: ${r.status} ${r.body.slice(0, 100)}`);
    }
  });
});

describe('without a dashboard build', () => {
  it('serves the API alone; / answers the JSON 404', async () => {
    for (const dir of ['off', tempDir('vectra-nosite-')]) {
      const bare = (await testServer({ VECTRA_DASHBOARD_DIR: dir })).url;
      const r = await call(bare, 'GET', '/');
      assert.equal(r.status, 404, dir);
      assert.equal(errorCode(r), 'ROUTE_NOT_FOUND');
      assert.equal((await call(bare, 'GET', '/health')).status, 200);
    }
  });
});
