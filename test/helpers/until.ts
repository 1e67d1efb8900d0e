/**
 * Waits (polling every 10 ms, never blocking the loop) until `done()` holds; after `ms`
 * fails with what was awaited and how things stand, instead of a bare timeout.
 */
export async function until(done: () => boolean, what: () => string, ms = 10_000): Promise<void> {
  for (const t0 = performance.now(); !done(); await new Promise((r) => setTimeout(r, 10))) {
    if (performance.now() - t0 > ms) throw new Error(`still waiting after ${ms} ms: ${what()}`);
  }
}
