/** `.netrc` in the browser build: there is no home directory, so there is none. */
import type { Netrc } from '../../netrc.js';

export type { Netrc };

export const netrcPath = (): string | null => null;
export const netrcAuth = (): [string, string] | null => null;
export const parseNetrc = (): Netrc => ({ machines: new Map(), default: null });
