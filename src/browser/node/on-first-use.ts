/**
 * `onFirstUse` in the browser build: there is no `require`, and the one package the shared
 * code loads on first use there is `chardet`, whose stand-in is bundled.
 */
import chardet from './chardet.js';

const bundled: Record<string, unknown> = { chardet };

export function onFirstUse<T>(specifier: string): () => T {
  if (!(specifier in bundled)) throw new Error(`${specifier} is not part of the browser build`);
  return () => bundled[specifier] as T;
}
