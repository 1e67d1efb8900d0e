/**
 * Whether this install can speak HTTP/3: the optional QUIC layer (`@matrixai/quic`, loaded by
 * the workers in transport/h3/quic-loader.ts) and its binary for this platform.
 */
import { createRequire } from 'node:module';

/**
 * Whether HTTP/3 can be used here, and why not when it cannot, for `nodequests doctor`:
 * the package resolves and its addon for this platform loads (synchronously, without
 * starting the package).
 */
export function http3Availability(): { available: boolean; reason: string | null } {
  try {
    import.meta.resolve('@matrixai/quic');
  } catch {
    return { available: false, reason: 'the optional dependency @matrixai/quic is not installed (npm skipped it, or installed with --omit=optional)' };
  }
  const target = `${process.platform}-${process.arch}`;
  try {
    createRequire(import.meta.url)(`@matrixai/quic-${target}/node.napi.node`);
  } catch (err) {
    return { available: false, reason: `@matrixai/quic has no working binary for ${target}: ${(err as Error).message.split('\n')[0]}` };
  }
  return { available: true, reason: null };
}
