/**
 * Runs a request (or a few) of either API under the right watchdog: a timer for the async
 * API, a guard thread for the sync one (which blocks this thread), and says how long it took.
 */
import { AsyncSession, Session, type SessionOptions } from '../../dist/src/index.js';
import { blockingWatchdog } from './blocking-watchdog.js';
import { watchdog } from './watchdog.js';

export type Kind = 'sync' | 'async';

export type AnySession = Session | AsyncSession;

export function openSession(kind: Kind, options?: SessionOptions): AnySession {
  return kind === 'sync' ? new Session(options) : new AsyncSession(options);
}

/**
 * Runs `work` under a watchdog of `ms`; a sync session's calls block inside it. Resolves with
 * what `work` returned or threw (as `error`) and the time it took.
 */
export async function guarded<T>(kind: Kind, ms: number, what: string, work: () => T | Promise<T>): Promise<{ value?: T; error?: Error & Record<string, any>; ms: number }> {
  const started = performance.now();
  try {
    const value = kind === 'sync' ? await blockingWatchdog(ms, what, work) : await watchdog(ms, what, async () => work());
    return { value: value as T, ms: performance.now() - started };
  } catch (error) {
    return { error: error as Error & Record<string, any>, ms: performance.now() - started };
  }
}
