/** API keys: hashing at rest, scopes, revocation and expiry at once, registration policy, rate limits. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isLoopback, loadConfig } from '../../src/config.js';
import { client, errorCode, register, testServer } from '../support/server.js';

describe('API keys', () => {
  it('are vk_ + 43 base62 chars, stored only as a hash, listed with prefix and lastUsedAt', async () => {
    const s = await testServer();
    const { key } = await register(s.url);
    assert.match(key, /^vk_[0-9A-Za-z]{43}$/);
    const api = client(s.url, key);
    await api('GET', '/v1/collections');
    const keys = (await api('GET', '/v1/keys')).body.keys;
    assert.equal(keys.length, 1);
    assert.equal(keys[0].prefix, key.slice(0, 12));
    assert.deepEqual(keys[0].scopes, ['read', 'write', 'admin']);
    assert.ok(keys[0].lastUsedAt);
    assert.ok(!JSON.stringify(keys).includes(key), 'the key is never returned again');
    const db = readFileSync(join(s.dataDir, 'system.db'));
    const wal = readFileSync(join(s.dataDir, 'system.db-wal'));
    assert.equal(db.includes(Buffer.from(key)) || wal.includes(Buffer.from(key)), false, 'no plaintext key on disk');
    assert.equal(db.includes(Buffer.from(key.slice(12))) || wal.includes(Buffer.from(key.slice(12))), false);
  });

  it('scopes: read-only cannot write, write-only cannot read, only admin manages keys', async () => {
    const s = await testServer();
    const admin = client(s.url, (await register(s.url)).key);
    await admin('POST', '/v1/collections', { name: 'c', model: 'none', dimension: 2 });
    const mk = async (scopes: string[]) => client(s.url, (await admin('POST', '/v1/keys', { name: scopes.join('+'), scopes })).body.apiKey);
    const ro = await mk(['read']);
    const wo = await mk(['write']);
    assert.equal((await ro('POST', '/v1/collections/c/search', { vector: [1, 0] })).status, 200);
    const denied = await ro('POST', '/v1/collections/c/records', { records: [{ vector: [1, 0] }] });
    assert.equal(denied.status, 403);
    assert.equal(errorCode(denied), 'INSUFFICIENT_SCOPE');
    assert.equal((await ro('DELETE', '/v1/collections/c')).status, 403);
    assert.equal((await wo('POST', '/v1/collections/c/records', { records: [{ vector: [1, 0] }] })).status, 200);
    assert.equal((await wo('POST', '/v1/collections/c/search', { vector: [1, 0] })).status, 403);
    assert.equal((await ro('GET', '/v1/keys')).status, 403);
    assert.equal((await wo('POST', '/v1/keys', { name: 'escalate', scopes: ['admin'] })).status, 403);
    // An admin key hands out only the scopes it has (found by test/reliability/security.test.ts).
    const adminOnly = await mk(['admin']);
    const escalated = await adminOnly('POST', '/v1/keys', { name: 'escalate', scopes: ['read', 'write'] });
    assert.equal(escalated.status, 403);
    assert.equal(errorCode(escalated), 'INSUFFICIENT_SCOPE');
    assert.equal((await adminOnly('POST', '/v1/keys', { name: 'same', scopes: ['admin'] })).status, 201);
  });

  it('a revoked key gets 401 at once; an expired key gets 401', async () => {
    const s = await testServer();
    const admin = client(s.url, (await register(s.url)).key);
    const made = await admin('POST', '/v1/keys', { name: 'temp', scopes: ['read'] });
    assert.equal(made.status, 201);
    const temp = client(s.url, made.body.apiKey);
    assert.equal((await temp('GET', '/v1/collections')).status, 200);
    assert.equal((await admin('DELETE', `/v1/keys/${made.body.id}`)).status, 204);
    const r = await temp('GET', '/v1/collections');
    assert.equal(r.status, 401);
    assert.equal(errorCode(r), 'API_KEY_REVOKED');

    const soon = await admin('POST', '/v1/keys', { name: 'soon', scopes: ['read'], expiresAt: new Date(Date.now() + 1200).toISOString() });
    const exp = client(s.url, soon.body.apiKey);
    assert.equal((await exp('GET', '/v1/collections')).status, 200);
    await new Promise((res) => setTimeout(res, 1300));
    const e = await exp('GET', '/v1/collections');
    assert.equal(e.status, 401);
    assert.equal(errorCode(e), 'API_KEY_EXPIRED');
  });

  it('rate limit per key answers 429 with Retry-After; other keys are unaffected', async () => {
    const s = await testServer({ VECTRA_RATE_LIMIT: '5' });
    const oneKey = (await register(s.url, 'one')).key;
    const one = client(s.url, oneKey);
    const two = client(s.url, (await register(s.url, 'two')).key);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await one('GET', '/v1/collections')).status);
    assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
    const limited = await one('GET', '/v1/collections');
    assert.equal(limited.status, 429);
    assert.equal(errorCode(limited), 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await two('GET', '/v1/collections')).status, 200);
    assert.equal((await one('GET', '/health')).status, 200, 'health is never rate limited');
    // The budget is the key's, however it is written (found by test/reliability/security.test.ts).
    for (const headers of [{ authorization: `bearer ${oneKey}` }, { authorization: `Bearer  ${oneKey}` }, { 'x-api-key': oneKey }]) {
      assert.equal((await client(s.url)('GET', '/v1/collections', undefined, { headers })).status, 429, JSON.stringify(Object.keys(headers)));
    }
  });

  it('registration: open on loopback, admin token elsewhere', async () => {
    assert.equal(loadConfig({}).registration, 'open');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).registration, 'admin');
    assert.equal(loadConfig({ HOST: '0.0.0.0', VECTRA_REGISTRATION: 'open' }).registration, 'open');
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && !isLoopback('0.0.0.0'));
    const token = 'a-long-admin-token-1234';
    const s = await testServer({ VECTRA_REGISTRATION: 'admin', VECTRA_ADMIN_TOKEN: token });
    const no = await client(s.url)('POST', '/v1/auth/register', { name: 'x' });
    assert.equal(no.status, 401);
    assert.equal(errorCode(no), 'ADMIN_TOKEN_REQUIRED');
    const wrong = await client(s.url)('POST', '/v1/auth/register', { name: 'x' }, { headers: { 'x-admin-token': `${token}x` } });
    assert.equal(wrong.status, 401);
    const ok = await client(s.url)('POST', '/v1/auth/register', { name: 'x' }, { headers: { 'x-admin-token': token } });
    assert.equal(ok.status, 201);
  });
});
