/**
 * A watchdog for scenarios that block their thread. A sync call cannot be interrupted from
 * its own thread, so the scenario runs in a worker thread (test/faults/scenarios/*.mjs,
 * plain modules over dist/) while the watchdog and the servers stay in the test's thread.
 * On a hang the worker is terminated and the test fails with the scenario's last progress
 * notes, the state of its engines' workers read from their shared slot tables (valid even
 * while the scenario is blocked), and its engines' last full diagnostics.
 *
 * A scenario module's default export is `(input, progress) => result`: `progress(note)`
 * records what it is about to do (call it once its sessions exist, so their engines are
 * shared); the result must be structured-cloneable (return hashes and error names rather
 * than responses and errors).
 */
import { Worker } from 'node:worker_threads';
import { SlotTable, type SlotTableInit } from '../../dist/src/channel/slots.js';
import type { EngineDiagnostics } from '../../dist/src/engine/engine.js';
import { watchdog } from './watchdog.js';

type Message =
  | { kind: 'progress'; note: unknown }
  | { kind: 'tables'; tables: Record<number, SlotTableInit> }
  | { kind: 'diagnostics'; diagnostics: Record<number, EngineDiagnostics> }
  | { kind: 'result'; result: unknown };

const KEPT_NOTES = 20;

/** Runs `scenario` (a URL of a module in test/faults/scenarios) with `input` under a watchdog of `ms`. */
export async function syncScenario<T>(ms: number, what: string, scenario: URL, input: unknown): Promise<T> {
  const worker = new Worker(new URL('./sync-scenario-worker.mjs', import.meta.url), { workerData: { scenario: scenario.href, input } });
  const notes: unknown[] = [];
  const tables = new Map<number, SlotTable>();
  let last: { at: number; diagnostics: Record<number, EngineDiagnostics> } | null = null;
  const finished = new Promise<T>((resolve, reject) => {
    worker.on('message', (m: Message) => {
      if (m.kind === 'progress') {
        notes.push(m.note);
        if (notes.length > KEPT_NOTES) notes.shift();
      } else if (m.kind === 'tables') {
        for (const [size, init] of Object.entries(m.tables)) tables.set(Number(size), new SlotTable(init));
      } else if (m.kind === 'diagnostics') {
        last = { at: performance.now(), diagnostics: m.diagnostics };
      } else {
        resolve(m.result as T);
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`The scenario's thread exited with code ${code} before it finished`)));
  });
  const state = () => ({
    progress: notes,
    scenarioWorkers: Object.fromEntries([...tables].map(([size, table]) => [size, table.describe()])),
    scenarioDiagnostics: last && { ageMs: Math.round(performance.now() - last.at), engines: last.diagnostics },
  });
  try {
    return await watchdog(ms, what, () => finished, state);
  } finally {
    await worker.terminate();
  }
}
