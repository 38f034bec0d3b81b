/** Poll `probe` every 50 ms until it is true; the milliseconds it took, or an error naming `what` after `timeoutMs`. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const t0 = performance.now();
  while (!(await probe())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - t0;
}

/**
 * Poll `probe` every `everyMs` until it gives a value (not undefined): the value and the
 * milliseconds it took, or an error naming `what` after `timeoutMs`.
 */
export async function untilValue<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 50): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return { value: v, ms: performance.now() - t0 };
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
