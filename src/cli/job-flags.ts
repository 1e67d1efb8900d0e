/** Value checks for the flags of `load` and `crawl` (parsed by node:util's parseArgs). */
import { UsageError } from './usage-error.js';

/** A whole number >= `min`, or `fallback` when the flag is absent. */
export function wholeFlag(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} takes a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** A number > 0 (or >= 0 with `zeroOk`), or `fallback` when the flag is absent. */
export function numberFlag(value: string | undefined, name: string, fallback: number, zeroOk = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) throw new UsageError(`--${name} takes a number ${zeroOk ? '>= 0' : '> 0'}, got ${JSON.stringify(value)}`);
  return n;
}

/** `Name: value` headers as a flat [name, value, …] list. */
export function headerFlags(values: readonly string[] | undefined): string[] {
  const flat: string[] = [];
  for (const h of values ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`-H takes 'Name: value', got ${JSON.stringify(h)}`);
    flat.push(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
  }
  return flat;
}

/** An http(s) URL, or a usage error naming it. */
export function httpUrl(value: string | undefined, command: string): string {
  if (value === undefined) throw new UsageError(`${command} needs a URL`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${command}: ${JSON.stringify(value)} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${command}: ${JSON.stringify(value)} is not an http or https URL`);
  return url.href;
}
