/**
 * `Buffer` for the browser build: the shared response and request code reads and writes
 * Buffers (`readUInt16LE`, `toString('latin1')`…), so the bundle carries the `buffer`
 * package, injected wherever the global is used. `isUtf8` is node:buffer's check.
 */
import { Buffer } from 'buffer';

export { Buffer };

const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true });

export function isUtf8(bytes: Uint8Array): boolean {
  try {
    FATAL_UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
