/**
 * Installing stays quiet and offline-safe: npm reads no unknown project setting (every npm and
 * npx call used to warn `Unknown project config "onnxruntime-node-install"`), and every
 * dependency with an install script is decided in package.json's allowScripts — onnxruntime-node
 * denied, so its postinstall never tries to download CUDA libraries from NuGet (which fails the
 * install on a machine that reaches only the npm registry).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/glove.js';

const json = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8'));

describe('npm install configuration', () => {
  it('npm finds no unknown project config in this repository', async () => {
    const { stderr } = await promisify(execFile)('npm', ['config', 'get', 'registry'], { cwd: REPO_ROOT });
    assert.doesNotMatch(stderr, /Unknown project config/);
  });

  it('every locked package with an install script is allowed or denied in allowScripts; onnxruntime-node is denied', () => {
    const allow: Record<string, boolean> = json('package.json').allowScripts;
    const withScripts = Object.entries(json('package-lock.json').packages as Record<string, { hasInstallScript?: boolean }>)
      .filter(([, p]) => p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    assert.ok(withScripts.includes('onnxruntime-node'));
    assert.deepEqual(withScripts.filter((name) => !(name in allow)), []);
    assert.equal(allow['onnxruntime-node'], false);
  });
});
