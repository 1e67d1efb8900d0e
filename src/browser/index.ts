/**
 * nodequests in the browser: the same API as in Node (`AsyncSession`, `aget`…, and `Session`,
 * `get`… in a Web Worker of a cross-origin-isolated page) on the browser's `fetch`. The build
 * (scripts/build-browser.mjs) bundles this entry with the shared policy code and swaps the
 * engine's Adapter for the fetch carrier of this folder.
 *
 * @example
 * ```ts
 * import { AsyncSession } from 'nodequests'; // the `browser` export condition picks this build
 * const s = new AsyncSession({ baseUrl: 'https://api.example.test' });
 * const r = await s.get('/users', { params: { page: 2 } });
 * r.raiseForStatus();
 * console.log(r.json());
 * ```
 */
import * as errors from '../errors.js';
import nq from '../index.js';
import { isFetchHelper, runFetchHelper } from './fetch-helper.js';
import { prepareSyncCarrier } from './sync-carrier.js';

export * from '../index.js';
export { WebSocketExtension } from './websocket.js';
export default nq;

// A minified bundle renames classes, and an error's `name` is its class's: the error classes
// get their exported names back (cheaper than keeping every name in the bundle).
for (const [name, value] of Object.entries(errors)) {
  if (typeof value === 'function' && (value === errors.RequestException || value.prototype instanceof errors.RequestException)) {
    Object.defineProperty(value, 'name', { value: name });
  }
}

// The sync API's helper worker is this same file, started under a name of its own.
if (isFetchHelper()) runFetchHelper();
else await prepareSyncCarrier();
