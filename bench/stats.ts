/** Small statistics the bench suites share. */

/** The median; of an even count, the mean of the middle two. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `call` back to back until `ms` have passed; returns calls per second. */
export async function rate(ms: number, call: () => unknown): Promise<number> {
  let n = 0;
  const start = performance.now();
  const stop = start + ms;
  while (performance.now() < stop) {
    await call();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}
