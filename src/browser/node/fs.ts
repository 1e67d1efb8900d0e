/** node:fs in the browser build: there is no file system, so a file named in an option cannot be read. */
import { BrowserUnsupported } from '../../errors.js';

function noFiles(path: unknown): never {
  throw new BrowserUnsupported(`Cannot read the file ${JSON.stringify(String(path))}: the browser build has no file system. Pass the content (a string, bytes or a Blob) instead`);
}

export const readFileSync = noFiles;
export const statSync = noFiles;
export const accessSync = noFiles;
export const existsSync = (): boolean => false;
export const constants = { R_OK: 4 };
export default { readFileSync, statSync, accessSync, existsSync, constants };
