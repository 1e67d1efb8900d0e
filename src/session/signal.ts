/**
 * A request's `signal`: the error an abort becomes, and how a blocked sync call still
 * notices a deadline.
 *
 * A sync call blocks its thread, and with it the event loop that runs the timer behind
 * `AbortSignal.timeout(ms)`: that signal would only abort after the call had ended anyway.
 * Node keeps no readable deadline on the signal, so this module wraps `AbortSignal.timeout`
 * and `AbortSignal.any` (once, when nodequests is loaded) to note the deadline of each signal
 * they make, in a WeakMap; the signal itself is untouched. A sync wait then ends the call
 * when that deadline passes, as the signal's own timer would have.
 *
 * @example
 * ```ts
 * // Ends after about 200 ms with RequestAborted, although the thread is blocked throughout.
 * new Session().get(slowUrl, { signal: AbortSignal.timeout(200) });
 * ```
 */
import { RequestAborted } from '../errors.js';
import type { ExchangeDriver } from './transport-port.js';
import type { FlowRunner } from './runner.js';

/** Deadlines (performance.now clock) of signals made by AbortSignal.timeout or .any. */
const deadlines = new WeakMap<AbortSignal, number>();

const originalTimeout = AbortSignal.timeout;
const originalAny = AbortSignal.any;
AbortSignal.timeout = function timeout(this: typeof AbortSignal, ms: number): AbortSignal {
  const signal = originalTimeout.call(this, ms);
  deadlines.set(signal, performance.now() + Number(ms));
  return signal;
};
if (typeof originalAny === 'function') {
  AbortSignal.any = function any(this: typeof AbortSignal, signals: Iterable<AbortSignal>): AbortSignal {
    // Iterated once only: the caller may pass a one-shot iterable.
    const list = Symbol.iterator in Object(signals) ? [...signals] : signals;
    const signal = originalAny.call(this, list as AbortSignal[]);
    let at = Infinity;
    for (const s of list as AbortSignal[]) at = Math.min(at, deadlines.get(s) ?? Infinity);
    if (at !== Infinity) deadlines.set(signal, at);
    return signal;
  };
}

/** The error a call ends with when its signal aborts for `reason`. */
export function abortedError(reason: unknown): RequestAborted {
  const why = reason instanceof Error ? `: ${reason.message}` : reason !== undefined ? `: ${String(reason)}` : '';
  return new RequestAborted(`Request aborted${why}`, { cause: reason });
}

/**
 * Ends the flow when the signal aborts: at once (the listener) when the event loop runs it,
 * or when the signal's known deadline passes during a sync wait.
 */
export function watchSignal(signal: AbortSignal, runner: FlowRunner, driver: ExchangeDriver, streamed: boolean): void {
  const abort = (reason: unknown): void => {
    const error = abortedError(reason);
    const ex = runner.exchange;
    if (ex) driver.cancel(ex, error);
    runner.abort(error);
  };
  if (signal.aborted) return abort(signal.reason);
  const onAbort = (): void => abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  // A body read whole is in when the flow ends, and the listener goes (one signal may serve
  // millions of requests: a crawl, a map). A streamed body is still read under the signal.
  if (!streamed) runner.onFinish(() => signal.removeEventListener('abort', onAbort));
  const deadline = deadlines.get(signal);
  if (deadline !== undefined) {
    runner.abortAt(deadline, () => abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
  }
}
