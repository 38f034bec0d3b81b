/**
 * Disk faults, on a real size-limited file system: the data directory is a tmpfs the test
 * mounts (needs root, as CI runs; elsewhere the test skips and says why). The server fills it:
 * writes answer 507 STORAGE_FULL, reads keep working, and writes work again once space
 * returns. Afterwards a restart finds every acknowledged record and SQLite's integrity check
 * passes. The second case turns an ext4 data directory read-only under the running server.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { serveProcess } from '../support/process.js';
import { client, register } from '../support/server.js';
import { tempDir } from '../support/tmp.js';
import { rng } from './scale.js';

const DIM = 64;
const mountPoint = join(tempDir(), 'mnt');
mkdirSync(mountPoint);
let mounted = false;
let why = '';
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mountPoint], { stdio: 'pipe' });
  mounted = true;
} catch (e) {
  why = `cannot mount a size-limited tmpfs here (${(e as Error).message.split('\n')[0]}); run as root, as CI does`;
}
after(() => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
});

const free = () => {
  const s = statfsSync(mountPoint);
  return s.bavail * s.bsize;
};

/**
 * A server over `dataDir` with collection "c", and `upsert(count)`: that many new random
 * records in one request, whose ids join `acked` when it answers 200.
 */
async function start(dataDir: string, seed: string, metadata: object) {
  const s1 = await serveProcess(dataDir);
  const { key } = await register(s1.url);
  const api = client(s1.url, key);
  assert.equal((await api('POST', '/v1/collections', { name: 'c', model: 'none', dimension: DIM })).status, 201);
  const r = rng(seed);
  const acked = new Set<string>();
  let n = 0;
  const upsert = async (count: number) => {
    const ids = Array.from({ length: count }, () => `r${n++}`);
    const res = await api('POST', '/v1/collections/c/records', { records: ids.map((id) => ({ id, vector: Array.from({ length: DIM }, () => r() - 0.5), metadata })) });
    if (res.status === 200) for (const id of ids) acked.add(id);
    return res;
  };
  return { s1, key, api, acked, upsert };
}

describe('disk faults (tmpfs of 40 MB as the data directory)', () => {
  it('full disk: 507 on writes, reads keep working, writes resume when space returns; nothing lost or corrupted', { skip: mounted ? false : why }, async () => {
    const dataDir = join(mountPoint, 'data');
    const { s1, key, api, acked, upsert } = await start(dataDir, 'disk-faults', { note: 'x'.repeat(200) });
    assert.equal((await upsert(100)).status, 200);

    // Leave ~3 MB free, then write until the disk refuses.
    const filler = join(mountPoint, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 3 * 2 ** 20)));
    let refused = null;
    for (let i = 0; i < 400 && !refused; i++) {
      const res = await upsert(200);
      assert.ok(res.status < 500 || res.status === 507, `a write on a filling disk answered ${res.status}: ${JSON.stringify(res.body)}`);
      if (res.status !== 200) refused = res;
    }
    assert.ok(refused, 'the disk filled up');
    assert.equal(refused.status, 507);
    assert.equal(refused.body.error.code, 'STORAGE_FULL');
    assert.match(refused.body.error.message, /free space/);
    // Reads keep working on a full disk.
    const some = [...acked][5];
    assert.equal((await api('GET', `/v1/collections/c/records/${some}`)).status, 200);
    const found = await api('POST', '/v1/collections/c/search', { vector: Array.from({ length: DIM }, () => 0.1), k: 5, return: 'id' });
    assert.equal(found.status, 200);
    assert.equal(found.body.results.length, 5);
    assert.equal((await api('GET', '/v1/collections/c')).body.count, acked.size);
    // A collection cannot be created either, and leaves nothing behind.
    const made = await api('POST', '/v1/collections', { name: 'd', model: 'none', dimension: DIM });
    assert.ok(made.status === 507 || made.status === 201, `create on a full disk answered ${made.status}`);

    rmSync(filler);
    assert.equal((await upsert(200)).status, 200, 'writes work again once space returns');
    if (made.status !== 201) assert.equal((await api('POST', '/v1/collections', { name: 'd', model: 'none', dimension: DIM })).status, 201);

    s1.proc.kill('SIGTERM');
    assert.equal((await s1.exited).code, 0);
    const s2 = await serveProcess(dataDir);
    const api2 = client(s2.url, key);
    assert.equal((await api2('GET', '/v1/collections/c')).body.count, acked.size, 'every acknowledged record after a restart');
    for (const id of [...acked].filter((_, i) => i % 97 === 0)) assert.equal((await api2('GET', `/v1/collections/c/records/${id}`)).status, 200, id);
    s2.proc.kill('SIGTERM');
    await s2.exited;
    // SQLite's own check of every database file under the data directory.
    const dbs = (readdirSync(dataDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.db'));
    assert.ok(dbs.length >= 2);
    for (const f of dbs) {
      const db = new Database(join(dataDir, f), { readonly: true });
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', f);
      db.close();
    }
  });
});

/**
 * A disk turning read-only under the running server, the way Linux does it: an ext4 file
 * system (a loop-mounted image the test makes) mounted `errors=remount-ro`, and an error
 * raised through ext4's own `trigger_fs_error` — the kernel aborts the journal and remounts
 * the file system read-only while the server holds its files open for writing.
 */
describe('disk faults (ext4 that remounts itself read-only)', () => {
  const image = join(tempDir(), 'ro.img');
  const mnt = join(tempDir(), 'ro');
  mkdirSync(mnt);
  let why = '';
  let device = '';
  const mount = () => {
    execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, mnt], { stdio: 'pipe' });
    device = execFileSync('findmnt', ['-n', '-o', 'SOURCE', mnt], { encoding: 'utf8' }).trim().replace('/dev/', '');
  };
  try {
    execFileSync('truncate', ['-s', '128M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
    mount();
    if (!existsSync(`/sys/fs/ext4/${device}/trigger_fs_error`)) why = `this kernel has no /sys/fs/ext4/${device}/trigger_fs_error`;
  } catch (e) {
    why = `cannot loop-mount an ext4 image here (${(e as Error).message.split('\n')[0]}); run as root, as CI does`;
  }
  after(() => {
    if (device) spawnSync('umount', ['-l', mnt]);
  });

  it('read-only disk: writes answer 503 STORAGE_READ_ONLY, reads keep working; after repair and restart nothing acknowledged is lost', { skip: why || false }, async () => {
    const dataDir = join(mnt, 'data');
    const { s1, key, api, acked, upsert } = await start(dataDir, 'read-only', {});
    for (let i = 0; i < 10; i++) assert.equal((await upsert(100)).status, 200);

    // The kernel turns the file system read-only under the live server.
    writeFileSync(`/sys/fs/ext4/${device}/trigger_fs_error`, 'vectra read-only test');
    // findmnt says `ro`, or `emergency_ro` on kernels that mark an error remount that way.
    assert.match(execFileSync('findmnt', ['-n', '-o', 'OPTIONS', mnt], { encoding: 'utf8' }).trim(), /(^|,)(ro|emergency_ro)(,|$)/);

    // Every write is refused with the envelope, never a 500: records, deletes, collections, keys.
    const writes = [
      () => upsert(50),
      () => api('POST', '/v1/collections/c/records/delete', { ids: ['r1'] }),
      () => api('POST', '/v1/collections', { name: 'd', model: 'none', dimension: DIM }),
      () => api('POST', '/v1/keys', { name: 'k', scopes: ['read'] }),
    ];
    const logged = () => s1.output().split("\n").slice(-4).join("\n");
    for (const write of writes) {
      const res = await write();
      if (res.status !== 503) await new Promise((r) => setTimeout(r, 300)); // let the log line arrive
      assert.equal(res.status, 503, `${JSON.stringify(res.body)}; the server logged:\n${logged()}`);
      assert.equal(res.body.error.code, 'STORAGE_READ_ONLY');
      assert.match(res.body.error.message, /read-only/);
    }
    // Reads keep working, and see exactly what was acknowledged.
    assert.equal((await api('GET', '/v1/collections/c')).body.count, acked.size);
    assert.equal((await api('GET', '/v1/collections/c/records/r1')).status, 200);
    const found = await api('POST', '/v1/collections/c/search', { vector: Array.from({ length: DIM }, () => 0.1), k: 5, return: 'id' });
    assert.equal(found.status, 200);
    assert.equal(found.body.results.length, 5);
    assert.equal((await fetch(`${s1.url}/health`)).status, 200);

    // Shutting down on a read-only disk cannot save snapshots: it must still end, and cleanly.
    s1.proc.kill('SIGTERM');
    assert.equal((await s1.exited).code, 0, 'SIGTERM exits 0 on a read-only disk');

    // The operator's repair: unmount, fsck, mount again. Then a restart finds everything.
    execFileSync('umount', [mnt]);
    const fsck = spawnSync('e2fsck', ['-fy', image], { encoding: 'utf8' });
    assert.ok(fsck.status === 0 || fsck.status === 1, `e2fsck exited ${fsck.status}: ${fsck.stdout}${fsck.stderr}`);
    mount();
    const s2 = await serveProcess(dataDir);
    const api2 = client(s2.url, key);
    assert.equal((await api2('GET', '/v1/collections/c')).body.count, acked.size, 'every acknowledged record after the repair');
    for (const id of [...acked].filter((_, i) => i % 37 === 0)) assert.equal((await api2('GET', `/v1/collections/c/records/${id}`)).status, 200, id);
    assert.equal((await api2('POST', '/v1/collections/c/records', { records: [{ id: 'after', vector: Array(DIM).fill(0.5) }] })).status, 200, 'writes work again');
    s2.proc.kill('SIGTERM');
    assert.equal((await s2.exited).code, 0);
    const dbs = (readdirSync(dataDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.db'));
    for (const f of dbs) {
      const db = new Database(join(dataDir, f), { readonly: true });
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', f);
      db.close();
    }
  });
});
