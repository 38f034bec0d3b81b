/**
 * Giving memory back to the operating system after background builds. Node runs V8's
 * garbage collector only when JavaScript allocates, never because the server went idle: the
 * buffers a load and a build left (request bodies, the tail of waiting records, 60–100 MB at
 * 100k vectors) stayed resident on a quiet server. And glibc's malloc keeps what a thread
 * frees in that thread's arena: the worker's copy of the graph stayed counted too. So a
 * little after the last of a run of builds, a full collection when that much is held in
 * buffers (it blocks the main thread for a time that grows with the heap: skipped past
 * MAX_COLLECTED_HEAP), then `malloc_trim(0)`, which returns the free pages of every arena
 * (through koffi, an FFI with prebuilt binaries; elsewhere than glibc there is no trim).
 * Measured in docs/benchmarks.md, "Giving memory back after a load".
 */
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';

type Trim = ((pad: number) => number) & { async?: (pad: number, done: (err: unknown, freed: number) => void) => void };

/** Buffers worth a blocking collection: a load's worth, not a few requests'. */
const MIN_BUFFERS = 16 * 1024 * 1024;
/** Past this much live heap a forced full collection would pause every request too long. */
const MAX_COLLECTED_HEAP = 256 * 1024 * 1024;

let trim: Trim | null | undefined;
let gc: (() => void) | null | undefined;
let later: NodeJS.Timeout | null = null;

/** A function of glibc (through koffi), or null: not Linux, musl, or no prebuilt koffi here. */
function libc<F>(signature: string): F | null {
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    return koffi.load('libc.so.6').func(signature) as F;
  } catch {
    return null;
  }
}

function loadTrim(): Trim | null {
  return libc<Trim>('int malloc_trim(size_t pad)');
}

/** mallopt's parameters (glibc's malloc.h). */
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
const M_ARENA_MAX = -8;

/**
 * The server's malloc settings, for a process that lives long and frees big blocks: at most
 * two arenas (glibc gives each thread that allocates — the build worker, usearch's insert
 * threads, libuv's — an arena of its own, up to 8 a core, and a freed block stays in its
 * arena), blocks from 1 MiB up mapped on their own (returned whole when freed; glibc's
 * sliding threshold otherwise climbs to 32 MiB after the first big free), and the top of the
 * heap given back past 1 MiB free. `vectra serve` calls it first thing; the engine embedded in
 * someone else's process leaves their malloc alone. Measured in docs/benchmarks.md ("An int8
 * tail in WebAssembly, and the server's malloc settings"). False where it cannot be set (not glibc).
 */
export function tuneMallocForServer(): boolean {
  const mallopt = libc<(param: number, value: number) => number>('int mallopt(int param, int value)');
  if (mallopt === null) return false;
  return [mallopt(M_ARENA_MAX, 2), mallopt(M_MMAP_THRESHOLD, 1 << 20), mallopt(M_TRIM_THRESHOLD, 1 << 20)].every((ok) => ok === 1);
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

/**
 * Collect garbage (when buffers hold at least MIN_BUFFERS, or `force`, and the heap is under
 * MAX_COLLECTED_HEAP) and return the free pages of every malloc arena. Says which ran.
 */
export function releaseMemory(force = false): { collected: boolean; trimmed: boolean } {
  if (gc === undefined) gc = loadGc();
  if (trim === undefined) trim = loadTrim();
  const m = process.memoryUsage();
  const collect = gc !== null && (force || m.arrayBuffers >= MIN_BUFFERS) && m.heapUsed <= MAX_COLLECTED_HEAP;
  if (collect) gc!();
  trim?.(0);
  return { collected: collect, trimmed: trim !== null };
}

/** A build started: the release waits for the end of the run of builds. */
export function postponeMemoryRelease(): void {
  if (later) clearTimeout(later);
  later = null;
}

/** No collection operation for this long: the process counts as idle. */
const IDLE_MS = 1000;
let lastBusy = 0;

/**
 * A collection operation ran (LiveIndex.assertOpen, which every one calls). A forced full
 * collection stops the world, where V8's own are incremental: under load they are left to V8
 * (the full soak saw p99 triple when a forced one ran after each build under load).
 */
export function markBusy(): void {
  lastBusy = performance.now();
}

/** How often a busy server gives back what its threads freed meanwhile. */
const TRIM_EVERY_MS = 2000;

/**
 * A busy server's freed memory, given back as it goes (`vectra serve` only, like
 * tuneMallocForServer): every `everyMs`, when a collection operation ran since the last time,
 * `malloc_trim(0)` on one of libuv's threads (koffi's async call), so the main thread does not
 * run it (a trim that returns 70 MB takes ~25 ms; one with nothing to return < 1 ms) — though
 * its own allocations may wait on an arena's lock while the trim walks that arena.
 * The release after builds waits for an idle second, and a server searched without pause had
 * none: in `npm run bench:peers` it held 35–40 MB of freed pages (main arena and the threads'
 * arenas) when its memory was read after the sweeps — glibc gives back only the top of a
 * heap by itself. jemalloc's background purge, for glibc. Returns a stop function, or null
 * where there is no trim (not glibc); the timer never holds the process open.
 */
export function trimWhileBusy(everyMs = TRIM_EVERY_MS): (() => void) | null {
  if (trim === undefined) trim = loadTrim();
  const run = trim?.async;
  if (!run) return null;
  let lastTrim = -Infinity;
  let running = false;
  const timer = setInterval(() => {
    if (running || lastBusy <= lastTrim) return;
    running = true;
    lastTrim = performance.now();
    run(0, () => {
      running = false;
    });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Release memory once the process has been idle (no collection operation for IDLE_MS),
 * trying first `delayMs` from now and then every `delayMs`; calls meanwhile share that one
 * release.
 */
export function releaseMemorySoon(delayMs = 2000): void {
  postponeMemoryRelease();
  const attempt = () => {
    if (performance.now() - lastBusy < IDLE_MS) {
      later = setTimeout(attempt, delayMs);
      later.unref();
      return;
    }
    later = null;
    releaseMemory();
  };
  later = setTimeout(attempt, delayMs);
  later.unref();
}
