/**
 * The peer benchmark harness works end to end (`bench:peers --quick`: every system on a
 * small GloVe set, in its own process). Speeds are not asserted — they are the benchmark's
 * business — but what each system answers is: exact systems must be exact, and every graph
 * must reach high recall at its widest setting.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/glove.js';
import { EF_VALUES } from '../../bench/peers/systems.js';

const installed = existsSync(join(REPO_ROOT, 'bench/peers/node_modules/chromadb'));
const skip = installed || process.env.CI ? false : 'peers not installed (npm ci --prefix bench/peers)';

describe('bench:peers --quick', { skip }, () => {
  it('runs every system and reports recall, QPS, memory and disk for each', { timeout: 600_000 }, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/peers/run.ts'), '--quick', '--no-write'], { encoding: 'utf8', maxBuffer: 32 << 20 });
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| system'));
    const floor = 'Vectra engine on bare node:http (HTTP)';
    const names = ['Vectra (HTTP)', 'Chroma 3.0.4 (HTTP)', 'Vectra engine (embedded)', floor, 'usearch 2.25.3 (raw, embedded)', 'LanceDB 0.37.1 (embedded)', 'Orama 3.1.18 (embedded)', 'npm vectra 0.12.3 (embedded)'];
    for (const name of names) assert.ok(rows.some((l) => l.startsWith(`| ${name} |`)), `${name} missing:\n${r.stdout}`);
    // Sweep rows: | system | knob | recall | qps1 | qps8 | p50 | p99 | server CPU |
    const sweep = rows.map((l) => l.split('|').map((c) => c.trim())).filter((c) => c.length === 10 && /^(ef|ef_search|exact)/.test(c[2]));
    assert.equal(sweep.length, 6 * EF_VALUES.length + 2, 'every sweep point reported: six graph systems × each ef, two exact ones');
    for (const c of sweep) {
      const recall = Number(c[3]);
      assert.ok(recall >= 0 && recall <= 1, c.join(' | '));
      if (c[2] === 'exact') assert.ok(recall >= 0.99, `an exact system must find the exact answers: ${c.join(' | ')}`);
      if (c[2].endsWith(' 320')) assert.ok(recall >= 0.9, `widest setting: ${c.join(' | ')}`);
      // Server CPU per search: a positive figure for the HTTP servers, none for embedded systems.
      if (c[1].includes('(HTTP)')) assert.ok(Number(c[8]) > 0, `server CPU: ${c.join(' | ')}`);
      else assert.equal(c[8], '—', c.join(' | '));
    }
    // Right after the load: a row per system, Vectra's recall exact over what waits for its graph.
    const after = rows.map((l) => l.split('|').map((c) => c.trim())).filter((c) => c.length === 10 && c[2] === '5,000');
    for (const name of names) assert.ok(after.some((c) => c[1] === name), `${name} missing from the after-load table:\n${r.stdout}`);
    for (const c of after.filter((x) => x[1] === 'Vectra (HTTP)')) assert.ok(Number(c[5]) >= 0.95, c.join(' | '));
  });
});
