import { createRequire } from 'node:module';

/**
 * This package's version, read from its package.json by the package's own name (its
 * `exports` lists the file), which resolves the same from dist/src and from a bundle.
 */
export const VERSION: string = (createRequire(import.meta.url)('nodequests/package.json') as { version: string }).version;
