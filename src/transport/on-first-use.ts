/**
 * A CommonJS package or a builtin loaded the first time it is asked for, not when the worker
 * starts: a worker loads only what its requests need, and a first plain HTTP/1.1 request
 * needs no WebSocket or DNS-message code (tens of milliseconds of a worker's start,
 * measured with `--cpu-prof`). `require` keeps the first use synchronous, as the frame
 * handlers that reach it are.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A getter that loads `specifier` on its first call and returns it from then on. */
export function onFirstUse<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
