/**
 * Retries: when a request is sent again, how long to wait first, and when to give up.
 * Off by default, as in Requests. Only idempotent methods are retried unless
 * `allowedMethods` says otherwise.
 *
 * @example
 * ```ts
 * new Session({ retries: 3 });
 * new Session({ retries: { total: 5, backoffFactor: 200, statusForcelist: [502, 503], respectRetryAfter: true } });
 * ```
 */
import { ConnectionError, InvalidOption, ReadTimeout, type RequestException, describe } from '../errors.js';
import { IDEMPOTENT_METHODS } from '../channel/methods.js';
import { checkDuration } from './duration.js';

export interface RetryInit {
  /** Attempts after the first. */
  total?: number;
  /** Backoff: none before the first retry, then backoffFactor × 2^(n-2) ms before the n-th (ms). */
  backoffFactor?: number;
  /** Statuses that are retried (when the method is allowed). */
  statusForcelist?: readonly number[];
  /** Methods that may be sent again. Default: the idempotent ones. */
  allowedMethods?: readonly string[];
  /** Honour a Retry-After header on a retried status. Default true. */
  respectRetryAfter?: boolean;
  /** The longest wait between two attempts, ms. Default 120 000. */
  backoffMax?: number;
}

export interface RetryPolicy {
  total: number;
  backoffFactor: number;
  statusForcelist: ReadonlySet<number>;
  allowedMethods: ReadonlySet<string>;
  respectRetryAfter: boolean;
  backoffMax: number;
}

export function normalizeRetries(init: number | boolean | RetryInit | null | undefined, option = 'retries'): RetryPolicy {
  if (init === undefined || init === null || init === false) init = 0;
  if (init === true) init = 3;
  if (typeof init === 'number') {
    if (!Number.isInteger(init) || init < 0) throw new InvalidOption(`Invalid option ${option}: ${describe(init)}; expected a whole number >= 0 or a retry policy`);
    init = { total: init };
  }
  if (typeof init !== 'object') throw new InvalidOption(`Invalid option ${option}: ${describe(init)}; expected a number or a retry policy`);
  const { total = 0, backoffFactor = 0, statusForcelist = [], allowedMethods = IDEMPOTENT_METHODS, respectRetryAfter = true, backoffMax = 120_000 } = init;
  if (!Number.isInteger(total) || total < 0) throw new InvalidOption(`Invalid option ${option}.total: ${describe(total)}; expected a whole number >= 0`);
  checkDuration(backoffFactor, `${option}.backoffFactor`);
  checkDuration(backoffMax, `${option}.backoffMax`);
  if (typeof respectRetryAfter !== 'boolean') throw new InvalidOption(`Invalid option ${option}.respectRetryAfter: ${describe(respectRetryAfter)}; expected true or false`);
  return {
    total,
    backoffFactor,
    statusForcelist: new Set(listOf(statusForcelist, `${option}.statusForcelist`, 'HTTP status codes', (v): v is number => Number.isInteger(v))),
    allowedMethods: new Set(listOf(allowedMethods, `${option}.allowedMethods`, 'method names', (v): v is string => typeof v === 'string').map((m) => m.toUpperCase())),
    respectRetryAfter,
    backoffMax,
  };
}

/** The items of a list option (an array or another iterable), each checked. */
function listOf<T>(value: unknown, option: string, what: string, ok: (v: unknown) => v is T): T[] {
  const items = typeof value === 'object' && value !== null && Symbol.iterator in value ? [...(value as Iterable<unknown>)] : null;
  if (!items?.every(ok)) throw new InvalidOption(`Invalid option ${option}: ${describe(value)}; expected an array of ${what}`);
  return items as T[];
}

/** The retry bookkeeping of one call. */
export class RetryState {
  readonly policy: RetryPolicy;
  attempts = 0;

  constructor(policy: RetryPolicy) {
    this.policy = policy;
  }

  get exhausted(): boolean {
    return this.attempts >= this.policy.total;
  }

  /** Whether this failure may be retried (ignoring exhaustion). */
  retriesError(error: RequestException, method: string): boolean {
    if (!this.policy.allowedMethods.has(method)) return false;
    return error instanceof ConnectionError || error instanceof ReadTimeout;
  }

  retriesStatus(status: number, method: string): boolean {
    return this.policy.statusForcelist.has(status) && this.policy.allowedMethods.has(method);
  }

  /** Counts an attempt and returns how long to wait before it, ms. */
  next(retryAfter: string | undefined): number {
    this.attempts++;
    if (retryAfter !== undefined && this.policy.respectRetryAfter) {
      const wait = parseRetryAfter(retryAfter);
      if (wait !== null) return Math.min(wait, this.policy.backoffMax);
    }
    if (this.attempts <= 1) return 0;
    return Math.min(this.policy.backoffFactor * 2 ** (this.attempts - 2), this.policy.backoffMax);
  }
}

/** Retry-After as seconds or an HTTP date, in ms from now; null when unreadable. */
export function parseRetryAfter(value: string): number | null {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
