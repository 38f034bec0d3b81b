/**
 * Key lookups are cached (by the key's hash) and revocation stays immediate: a revocation by
 * this process, or by another connection to system.db (the CLI's `vectra keys revoke`, another
 * server process), is refused by the very next authentication.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Accounts } from '../../src/services/accounts.js';
import { VectraError } from '../../src/errors.js';
import { tempDir } from '../support/tmp.js';

const codeOf = (f: () => unknown): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return e instanceof VectraError ? e.code : String(e);
  }
};

describe('authentication cache', () => {
  it('a key revoked by another connection is refused by the next request, after being cached', () => {
    const dir = tempDir();
    const server = new Accounts(dir);
    const cli = new Accounts(dir);
    const { tenant, apiKey } = server.register('t');
    const second = server.createKey(tenant.id, 'second', ['read'], null);
    for (let i = 0; i < 3; i++) assert.equal(server.authenticate(apiKey).tenantId, tenant.id);
    assert.deepEqual([...server.authenticate(second.apiKey).scopes], ['read']);
    cli.revokeKey(null, second.key.id);
    assert.equal(codeOf(() => server.authenticate(second.apiKey)), 'API_KEY_REVOKED');
    // Other keys still answer (the cache started over, from the database).
    assert.equal(server.authenticate(apiKey).tenantId, tenant.id);
    // A key created elsewhere works at once too.
    const third = cli.createKey(tenant.id, 'third', ['write'], null);
    assert.deepEqual([...server.authenticate(third.apiKey).scopes], ['write']);
    server.close();
    cli.close();
  });

  it('a revocation in this process is refused at once; unknown and malformed keys are refused', () => {
    const accounts = new Accounts(tempDir());
    const { tenant, apiKey } = accounts.register('t');
    const other = accounts.createKey(tenant.id, 'other', ['read', 'write'], null);
    accounts.authenticate(other.apiKey);
    accounts.revokeKey(tenant.id, other.key.id);
    assert.equal(codeOf(() => accounts.authenticate(other.apiKey)), 'API_KEY_REVOKED');
    assert.equal(accounts.authenticate(apiKey).tenantId, tenant.id);
    assert.equal(codeOf(() => accounts.authenticate(`${apiKey.slice(0, -1)}${apiKey.endsWith('a') ? 'b' : 'a'}`)), 'INVALID_API_KEY');
    assert.equal(codeOf(() => accounts.authenticate('vk_short')), 'INVALID_API_KEY');
    accounts.close();
  });

  it('a cached key still expires on time', async () => {
    const accounts = new Accounts(tempDir());
    const { tenant } = accounts.register('t');
    const soon = accounts.createKey(tenant.id, 'soon', ['read'], new Date(Date.now() + 300).toISOString());
    accounts.authenticate(soon.apiKey);
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(codeOf(() => accounts.authenticate(soon.apiKey)), 'API_KEY_EXPIRED');
    accounts.close();
  });
});
