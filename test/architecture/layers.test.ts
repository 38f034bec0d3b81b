/**
 * The layering of src/ (docs/engine.md, "Layout"): imports run downhill. The engine could be
 * published alone, the HTTP layer replaced without touching it, and the vector math imports
 * nothing of ours. Read from the source files' own import lines.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** src-relative file → the src-relative files it imports (static, dynamic and type imports). */
const graph = new Map<string, string[]>();
for (const file of sourceFiles(SRC)) {
  const text = readFileSync(file, 'utf8');
  const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => relative(SRC, resolve(dirname(file), m[1])).replace(/\.js$/, '.ts'));
  graph.set(relative(SRC, file), targets);
}

/** The layer of a src-relative path: its top folder, or the file itself at the top. */
const layer = (path: string) => (path.includes('/') ? path.split('/')[0] : path.replace(/\.ts$/, ''));

function importsOf(prefix: string): { from: string; to: string }[] {
  return [...graph].flatMap(([from, targets]) => (from.startsWith(prefix) ? targets.map((to) => ({ from, to })) : []));
}

function offending(prefix: string, allowed: (to: string) => boolean): string[] {
  return importsOf(prefix)
    .filter(({ to }) => !allowed(to))
    .map(({ from, to }) => `${from} → ${to}`);
}

describe('architecture', () => {
  it('reads the import lines it judges (the parser sees the engine importing the vector floor)', () => {
    assert.ok(graph.size > 50);
    assert.ok(graph.get('engine/collection.ts')?.includes('engine/record-store.ts'));
    assert.ok(importsOf('engine/').some(({ to }) => to.startsWith('vector/')));
  });

  it('src/vector/ imports nothing of ours', () => {
    assert.deepEqual(offending('vector/', (to) => to.startsWith('vector/')), []);
  });

  it('errors.ts, the ground floor, imports nothing of ours', () => {
    assert.deepEqual(offending('errors.ts', () => false), []);
  });

  it('the engine imports only itself and the floors below it (vector math, quantizers, errors)', () => {
    const below = ['engine', 'vector', 'compress', 'errors', 'random'];
    assert.deepEqual(offending('engine/', (to) => below.includes(layer(to))), []);
  });

  it('the compressor does not import the engine (the engine imports its quantizers)', () => {
    const below = ['compress', 'vector', 'errors', 'random'];
    assert.deepEqual(offending('compress/', (to) => below.includes(layer(to))), []);
  });

  it('services never import the HTTP layer or the command line', () => {
    assert.deepEqual(offending('services/', (to) => !['api', 'cli', 'server'].includes(layer(to))), []);
  });

  it('routes and their schemas reach services only, never the engine', () => {
    assert.deepEqual(offending('api/routes/', (to) => layer(to) !== 'engine'), []);
    assert.deepEqual(offending('api/schemas/', (to) => layer(to) !== 'engine'), []);
    // The Qdrant-compatible subset: its routes, schemas and envelope, like the others.
    assert.ok(graph.has('api/qdrant/routes.ts'));
    assert.deepEqual(offending('api/qdrant/', (to) => layer(to) !== 'engine'), []);
  });

  it('no two top-level layers import each other', () => {
    const edges = new Set<string>();
    for (const [from, targets] of graph) for (const to of targets) if (layer(from) !== layer(to)) edges.add(`${layer(from)} → ${layer(to)}`);
    const circles = [...edges].filter((e) => {
      const [a, b] = e.split(' → ');
      return a < b && edges.has(`${b} → ${a}`);
    });
    assert.deepEqual(circles, []);
  });
});
