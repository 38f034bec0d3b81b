/**
 * The client's types cannot drift from the server: packages/client/src/schema.ts is regenerated
 * from the server's OpenAPI document as it is now and must equal the committed file. When it
 * does not, run `npm run client:generate` and commit the result (with the client changes the
 * new schema calls for: tsc -p packages/client says where).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { SCHEMA_FILE, schemaSource } from '../../packages/client/scripts/generate-schema.js';

it("the committed client schema is the server's OpenAPI document as generated now", async () => {
  const fresh = await schemaSource();
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  if (fresh !== committed) {
    // Left in place for a diff.
    const file = join(mkdtempSync(join(tmpdir(), 'vectra-schema-')), 'schema.ts');
    writeFileSync(file, fresh);
    const at = [...fresh].findIndex((ch, i) => ch !== committed[i]);
    const line = fresh.slice(0, at).split('\n').length;
    assert.fail(`packages/client/src/schema.ts is stale (first difference at line ${line}; the fresh one is ${file}): run \`npm run client:generate\` and commit it`);
  }
});
