/**
 * Which module a transport worker runs: the bundle of its modules (scripts/build-worker.mjs),
 * which starts sooner than the compiled files it was made from, as long as none of those is
 * newer than it; otherwise the compiled entry. A `tsc` run alone therefore never leaves
 * workers running stale code. An installed package gives every file one date, so its bundle
 * is always taken.
 */
import { readFileSync, statSync } from 'node:fs';

const COMPILED = new URL('../../workers/transport.js', import.meta.url);
const BUNDLE = new URL('../../workers/bundle/transport.js', import.meta.url);
const INPUTS = new URL('../../workers/bundle/inputs.json', import.meta.url);

/** Decided once, when the first engine starts its first worker. */
let chosen: URL | null = null;

export function transportWorkerFile(): URL {
  return (chosen ??= isFresh(BUNDLE, INPUTS) ? BUNDLE : COMPILED);
}

/** Whether `bundle` exists and no file `inputs` lists (relative to the bundle) is newer. */
export function isFresh(bundle: URL, inputs: URL): boolean {
  try {
    const built = statSync(bundle).mtimeMs;
    const files = JSON.parse(readFileSync(inputs, 'utf8')) as string[];
    return files.every((file) => statSync(new URL(file, bundle)).mtimeMs <= built);
  } catch {
    // No bundle, or an input gone: the compiled files are what there is.
    return false;
  }
}
