/**
 * node:crypto in the browser build: random bytes from `crypto.getRandomValues` (multipart
 * boundaries, Digest nonces). Hashing is refused: the browser only hashes asynchronously
 * (`crypto.subtle`), and Digest auth answers a challenge synchronously.
 */
import { Buffer } from './buffer.js';
import { BrowserUnsupported } from '../../errors.js';

export function randomBytes(n: number): Buffer {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(n)));
}

export function createHash(algorithm: string): never {
  throw new BrowserUnsupported(`HTTPDigestAuth cannot answer a challenge in the browser: it needs a synchronous ${algorithm} hash, which the browser does not offer. Use Basic or Bearer auth, or let the browser answer the challenge itself`);
}
