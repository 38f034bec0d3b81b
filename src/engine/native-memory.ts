/**
 * Giving memory back to the operating system after a background build. Node runs V8's
 * garbage collector only when JavaScript allocates, never because the server went idle: the
 * buffers a load and a build left (request bodies, the tail of waiting records, 60–80 MB at
 * 100k vectors) stayed resident on a quiet server. And glibc's malloc keeps what a thread
 * frees in that thread's arena: the worker's copy of the graph stayed counted too. So a
 * little after a build, one full collection, then `malloc_trim(0)`, which returns the free
 * pages of every arena (through koffi, an FFI with prebuilt binaries; elsewhere than glibc
 * only the collection runs). Measured in docs/benchmarks.md, "Resident memory".
 */
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';

type Trim = (pad: number) => number;

let trim: Trim | null | undefined;
let gc: (() => void) | null | undefined;
let later: NodeJS.Timeout | null = null;

function loadTrim(): Trim | null {
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    return koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as Trim;
  } catch {
    return null; // musl, or no prebuilt koffi for this platform
  }
}

function loadGc(): (() => void) | null {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

/** Collect garbage now and return the free pages of every malloc arena (~20–40 ms). Says which ran. */
export function releaseMemory(): { collected: boolean; trimmed: boolean } {
  if (gc === undefined) gc = loadGc();
  if (trim === undefined) trim = loadTrim();
  gc?.();
  trim?.(0);
  return { collected: gc !== null, trimmed: trim !== null };
}

/**
 * Release memory `delayMs` from now; calls meanwhile share that one release (builds that
 * follow each other closely pay one collection, after the last).
 */
export function releaseMemorySoon(delayMs = 2000): void {
  if (later) clearTimeout(later);
  later = setTimeout(() => {
    later = null;
    releaseMemory();
  }, delayMs);
  later.unref();
}
