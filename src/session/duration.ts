/**
 * A duration option in milliseconds, checked: a finite number from 0 to the longest wait a
 * timer can hold. Node turns a longer setTimeout into 1 ms, so a huge timeout would fire at
 * once. Kept apart from options.ts so that retry.ts (which the workers load) needs nothing more.
 *
 * @example
 * ```ts
 * checkDuration(5_000, 'timeout.read'); // 5000
 * checkDuration(2 ** 40, 'timeout');    // throws InvalidOption naming `timeout`
 * ```
 */
import { InvalidOption, describe } from '../errors.js';

/** The longest duration a timer can wait, ms (about 24.8 days). */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** `v` when it is a usable duration; `undefined` when not given; else an `InvalidOption` naming `name`. */
export function checkDuration(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_DURATION_MS) {
    throw new InvalidOption(`Invalid option ${name}: ${describe(v)}; expected a duration in milliseconds from 0 to ${MAX_DURATION_MS} (about 24.8 days)`);
  }
  return v;
}
