/**
 * Whether a bundle made by `npm run build` (scripts/build-bundles.mjs) may be loaded in place
 * of the compiled files it was made from: it exists, and none of the files its folder's
 * `inputs.json` lists is newer than it. A `tsc` run alone therefore never leaves a process
 * running stale code, and an installed package (npm gives every file one date) always
 * takes its bundles.
 */
import { readFileSync, statSync } from 'node:fs';

export function isFresh(bundle: URL): boolean {
  try {
    const built = statSync(bundle).mtimeMs;
    const files = JSON.parse(readFileSync(new URL('inputs.json', bundle), 'utf8')) as string[];
    return files.every((file) => statSync(new URL(file, bundle)).mtimeMs <= built);
  } catch {
    // No bundle, or an input gone: the compiled files are what there is.
    return false;
  }
}
