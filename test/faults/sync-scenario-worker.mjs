// The thread a sync scenario runs in (see sync-scenario.ts). It imports the scenario module,
// calls its default export with the input and a `progress(note)` function, and posts the
// result. Alongside, it posts the slot tables of the engines this thread runs (shared
// memory: the test thread can read them while this thread is blocked in a sync call) and,
// whenever this thread's loop turns, the engines' full diagnostics.
import { parentPort, workerData } from 'node:worker_threads';
import { engineDiagnostics, engineTables } from '../../dist/src/engine/engine.js';

const shared = new WeakSet();

function postTables() {
  const fresh = Object.entries(engineTables()).filter(([, init]) => !shared.has(init.table));
  for (const [, init] of fresh) shared.add(init.table);
  if (fresh.length > 0) parentPort.postMessage({ kind: 'tables', tables: Object.fromEntries(fresh) });
}

function progress(note) {
  postTables();
  parentPort.postMessage({ kind: 'progress', note });
}

const ticker = setInterval(() => {
  postTables();
  parentPort.postMessage({ kind: 'diagnostics', diagnostics: engineDiagnostics() });
}, 500);
ticker.unref();

const { default: scenario } = await import(workerData.scenario);
const result = await scenario(workerData.input, progress);
clearInterval(ticker);
parentPort.postMessage({ kind: 'result', result });
