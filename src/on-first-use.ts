/**
 * A CommonJS package or a builtin loaded the first time it is asked for, not when a thread
 * starts: a transport worker loads only what its requests need (a first plain HTTP/1.1
 * request needs no WebSocket or DNS-message code), and the main thread only what its calls
 * need (no cookie parser before a cookie, no `ws` before an app's WebSocket). Each is
 * milliseconds to tens of milliseconds of a start, measured with `--cpu-prof`. `require`
 * keeps the first use synchronous, as the sync API and the frame handlers that reach it are.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A getter that loads `specifier` on its first call and returns it from then on. */
export function onFirstUse<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
