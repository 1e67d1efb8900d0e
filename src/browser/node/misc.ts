/** node:os, node:path and node:util in the browser build: only what the shared code calls. */
export const homedir = (): string => '';
export const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
export const join = (...parts: string[]): string => parts.join('/');
export const TextDecoder = globalThis.TextDecoder;
export default { homedir, basename, join, TextDecoder };
