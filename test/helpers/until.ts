/**
 * Waits (polling every 10 ms, never blocking the loop) until `done()` holds; after `ms`
 * fails with what was awaited and how things stand, instead of a bare timeout. `refresh`,
 * when given, runs before each look (to fetch what `done` reads).
 */
export async function until(done: () => boolean, what: () => string, ms = 10_000, refresh?: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    await refresh?.();
    if (done()) return;
    if (performance.now() - t0 > ms) throw new Error(`still waiting after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
