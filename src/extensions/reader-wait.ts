/**
 * How an extension's reader waits for the next message or event: up to the request's read
 * timeout, then `ReadTimeout`, with the connection left open (a quiet WebSocket or event
 * stream is not a broken one: the caller may simply wait again).
 */
import type { ExchangeDriver } from '../session/transport-port.js';
import type { Exchange } from '../engine/exchange.js';
import { ReadTimeout } from '../errors.js';

/** Blocks until `ready()` (or the exchange ended); throws ReadTimeout when the read timeout passes first. */
export function waitSync(driver: ExchangeDriver, ex: Exchange, ready: () => boolean, what: string): void {
  if (ready() || ex.done) return;
  const timeout = ex.readTimeout;
  const deadline = timeout > 0 ? performance.now() + timeout : Infinity;
  driver.waitUntil(
    () => ready() || ex.done || performance.now() >= deadline,
    timeout > 0 ? () => deadline : undefined,
  );
  if (!ready() && !ex.done) throw timedOut(ex, what);
}

/** Awaits `ready()` (or the end of the exchange); rejects with ReadTimeout when the read timeout passes first. */
export async function waitAsync(ex: Exchange, ready: () => boolean, what: string): Promise<void> {
  if (ready() || ex.done) return;
  const timeout = ex.readTimeout;
  if (timeout <= 0) {
    while (!ready() && !ex.done) await ex.changed();
    return;
  }
  const deadline = performance.now() + timeout;
  while (!ready() && !ex.done) {
    const left = deadline - performance.now();
    if (left <= 0) throw timedOut(ex, what);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ex.changed(), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
    clearTimeout(timer);
  }
}

function timedOut(ex: Exchange, what: string): ReadTimeout {
  return new ReadTimeout(`Read timed out: no ${what} from ${ex.request.url} within ${ex.readTimeout} ms (the connection is still open: wait again, or close it)`, { request: ex.request });
}
