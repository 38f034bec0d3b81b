/** `vectra compress`, `decompress` and `eval` as a user runs them (a real process each). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { NpyReader } from '../../src/compress/npy.js';
import { gloveNpy, REPO_ROOT } from '../support/glove.js';
import { tempDir } from '../support/tmp.js';

function vectra(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const dir = tempDir();
const input = join(dir, 'g.npy');
before(() => gloveNpy(input, 5000));

describe('vectra compress / decompress / eval', () => {
  it('int8 round trip, then eval in text and JSON', async () => {
    const out = join(dir, 'g.vqz');
    const c = await vectra(['compress', '--in', input, '--out', out, '--method', 'int8']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /compressed 5,000 vectors × 100 with int8 \(104 bytes each\) into .*g\.vqz/);
    const d = await vectra(['decompress', '--in', out, '--out', join(dir, 'back.npy'), '--json']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(JSON.parse(d.stdout).rows, 5000);
    assert.equal(new NpyReader(join(dir, 'back.npy')).rows, 5000);
    const text = await vectra(['eval', '--orig', input, '--comp', out, '--queries', '20']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /original bytes +2,000,128/);
    assert.match(text.stdout, /compressed bytes +520,064/);
    assert.match(text.stdout, /ratio +3\.85×/);
    assert.match(text.stdout, /mean cosine +(0\.99\d\d|1\.0000) \(original vs reconstructed\)/);
    assert.match(text.stdout, /recall@10 +(0\.9\d+|1\.0000) \(20 queries/);
    const json = JSON.parse((await vectra(['eval', '--orig', input, '--comp', out, '--queries', '20', '--k', '5', '--json'])).stdout);
    assert.equal(json.method, 'int8');
    assert.equal(json.k, 5);
    assert.deepEqual(json.bytesPerVector, { original: 400, compressed: 104 });
    assert.ok(json.recall > 0.9 && json.recall <= 1);
  });

  it('pq with flags; binary evaluated in the code domain (Hamming)', async () => {
    const out = join(dir, 'pq.vqz');
    const c = await vectra(['compress', '--in', input, '--out', out, '--method', 'pq', '--pq-m', '20', '--pq-bits', '4', '--json']);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual([JSON.parse(c.stdout).recordBytes, JSON.parse(c.stdout).sampleRows], [10, 5000]);
    const b = join(dir, 'b.vqz');
    assert.equal((await vectra(['compress', '--in', input, '--out', b, '--method', 'binary'])).code, 0);
    const r = JSON.parse((await vectra(['eval', '--orig', input, '--comp', b, '--queries', '10', '--json'])).stdout);
    assert.equal(r.search, 'hamming');
    assert.ok(r.recallRescored > r.recall, 'rescoring recovers recall');
    assert.ok(r.signDot.recall > 0 && r.signDot.recallRescored <= 1, 'binary also reports the query · sign(x) candidates');
  });

  it('bad input: a clear message, exit code 1, and no output file', async () => {
    const sub = tempDir();
    const out = join(sub, 'x.vqz');
    const cases: [string[], RegExp][] = [
      [['compress', '--in', input, '--out', out, '--method', 'zip'], /--method must be one of int8, sq8, int4, f16, binary, pq \(got "zip"\)/],
      [['compress', '--in', join(dir, 'missing.npy'), '--out', out], /no such file or directory/],
      [['compress', '--in', input, '--out', out, '--method', 'pq', '--pq-m', '3'], /--pq-m must divide the dimension 100 \(got 3\); e\.g\. 2, 4, 5, 10/],
      [['compress', '--in', input, '--out', out, '--pq-bits', '0'], /--pq-bits must be a positive integer/],
      [['decompress', '--in', input, '--out', join(sub, 'y.npy')], /not a Vectra compressed file/],
      [['eval', '--orig', input, '--comp', input], /not a Vectra compressed file/],
    ];
    const ints = join(dir, 'ints.npy');
    writeFileSync(ints, Buffer.concat([Buffer.from("\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }" + ' '.repeat(55) + '\n', 'latin1'), Buffer.alloc(16)]));
    cases.push([['compress', '--in', ints, '--out', out], /unsupported dtype '<i4' \(int32\)/]);
    for (const [args, message] of cases) {
      const r = await vectra(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`^vectra: .*${message.source}`), args.join(' '));
    }
    assert.deepEqual(readdirSync(sub), [], 'nothing written');
    assert.equal(existsSync(out), false);
    // eval of a container against the wrong original
    const other = join(dir, 'other.npy');
    gloveNpy(other, 10);
    const r = await vectra(['eval', '--orig', other, '--comp', join(dir, 'g.vqz')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /holds 5000 vectors of dimension 100 but .*other\.npy has 10 of dimension 100: they are not the same data/);
  });
});
