/**
 * What a refused write says about the disk: SQLite's and the file system's error codes for a
 * full or read-only data directory become STORAGE_FULL / STORAGE_READ_ONLY, and an I/O error is
 * explained by trying a write there. The engine's to know; the API only maps the codes.
 */
import { statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VectraError } from '../errors.js';

const FULL = 'the data directory is out of space, so this write was not made; free space or grow the disk, then retry (reads keep working)';
const READ_ONLY = 'the data directory is read-only, so this write was not made; make it writable again, then retry (reads keep working)';

/**
 * A write the disk refused, as the error clients see: SQLite's and the file system's codes
 * for a full or read-only data directory. Null for anything else. Nothing was written: SQLite
 * rolls the transaction back, and the index is only touched after a commit.
 *
 * SQLite reports a file system that turned read-only under an open database (ext4's
 * errors=remount-ro) as a plain I/O error (SQLITE_IOERR_WRITE and kin), so with `dataDir` an
 * I/O error is explained by trying a write there: read-only, full, or else a disk failing
 * (STORAGE_IO_ERROR: the operator's to fix, and logged as an error).
 */
export function storageError(e: unknown, dataDir?: string): VectraError | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return new VectraError('STORAGE_FULL', FULL);
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_') || code === 'EROFS') return new VectraError('STORAGE_READ_ONLY', READ_ONLY);
  const io = code.startsWith('SQLITE_IOERR') || code === 'EIO';
  // A new database file cannot be opened on a read-only or full disk either.
  if (dataDir === undefined || !(io || code === 'SQLITE_CANTOPEN')) return null;
  const disk = probeDisk(dataDir);
  if (disk || !io) return disk;
  return new VectraError('STORAGE_IO_ERROR', 'the disk reported an I/O error, so this write was not made; the server log has the details: check the disk, then retry');
}

/**
 * STORAGE_READ_ONLY or STORAGE_FULL if a write in `dir` fails for that reason now, else null.
 * A real write, not access(2): ext4's emergency read-only mode is invisible to access(), and
 * there file system calls can fail with misleading codes (mkdir answers ENOENT).
 */
export function probeDisk(dir: string): VectraError | null {
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (p) {
    const why = (p as { code?: unknown }).code;
    if (why === 'EROFS') return new VectraError('STORAGE_READ_ONLY', READ_ONLY);
    if (why === 'ENOSPC' || why === 'EDQUOT') return new VectraError('STORAGE_FULL', FULL);
  }
  try {
    if (statfsSync(dir).bavail === 0) return new VectraError('STORAGE_FULL', FULL);
  } catch {
    // the directory cannot even be examined: not a state this can name
  }
  return null;
}
