/**
 * Which module a transport worker runs: the bundle of its modules, which starts ~15 ms
 * sooner, while it is fresh (src/fresh-bundle.ts); otherwise the compiled entry.
 */
import { isFresh } from '../fresh-bundle.js';

const COMPILED = new URL('../../workers/transport.js', import.meta.url);
const BUNDLE = new URL('../../workers/bundle/transport.js', import.meta.url);

/** Decided once, when the first engine starts its first worker. */
let chosen: URL | null = null;

export function transportWorkerFile(): URL {
  return (chosen ??= isFresh(BUNDLE) ? BUNDLE : COMPILED);
}
