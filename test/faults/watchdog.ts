/**
 * Every wait in the fault suite goes through a watchdog: a hang fails the test with what
 * was in flight and what each ring and outbox held, instead of stalling the run.
 */
import { engineDiagnostics } from '../../dist/src/engine/engine.js';

export class Hang extends Error {}

/** Extra lines the scenario wants printed if it hangs (what it started, what finished). */
export type Notes = () => unknown;

/**
 * Runs `work`; if it has not settled within `ms`, rejects with a {@link Hang} whose message
 * holds the engines' state (see Engine.diagnostics) and the scenario's own notes.
 */
export async function watchdog<T>(ms: number, what: string, work: () => Promise<T>, notes?: Notes): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hang(describeHang(what, ms, notes))), ms);
  });
  try {
    return await Promise.race([work(), hang]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeHang(what: string, ms: number, notes?: Notes): string {
  const state = { engines: engineDiagnostics(), notes: notes?.() };
  return `${what} did not finish within ${ms} ms. State at that moment:\n${JSON.stringify(state, null, 2)}`;
}

/** Polls `condition` every few ms until it holds, under a {@link watchdog} of `ms`. */
export function until(ms: number, what: string, condition: () => boolean, notes?: Notes): Promise<void> {
  return watchdog(
    ms,
    what,
    async () => {
      while (!condition()) await new Promise((r) => setTimeout(r, 10));
    },
    notes,
  );
}
