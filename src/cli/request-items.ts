/**
 * HTTPie's request items, the words after the URL: `name=value` (a JSON string field, or a
 * form field with `--form`), `name:=json` (a raw JSON field), `name==value` (a query
 * parameter), `Name:value` (a header; `Name:` sends it empty) and `field@path` (a file
 * upload, which makes the body multipart). A backslash escapes a separator character.
 *
 * @example
 * ```ts
 * parseItems(['q==a b', 'X-Trace:1', 'n:=2', 'name=ann']);
 * // { query: [['q', 'a b']], headers: [['X-Trace', '1']], fields: [['n', 2], ['name', 'ann']], files: [] }
 * ```
 */
import { UsageError } from './usage-error.js';

export interface RequestItems {
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
  /** Body fields in order: strings from `=`, any JSON value from `:=`. */
  fields: Array<[string, unknown]>;
  files: Array<[string, string]>;
}

// Longest first: at one position `:=` wins over `:`, and `==` over `=`.
const SEPARATORS = [':=', '==', '=', ':', '@'] as const;
type Separator = (typeof SEPARATORS)[number];

/** Splits `item` at its first unescaped separator; null when it has none. */
export function splitItem(item: string): { name: string; sep: Separator; value: string } | null {
  let name = '';
  for (let i = 0; i < item.length; i++) {
    const c = item[i]!;
    if (c === '\\' && i + 1 < item.length) {
      name += item[++i];
      continue;
    }
    const sep = SEPARATORS.find((s) => item.startsWith(s, i));
    if (sep && name.length > 0) return { name, sep, value: item.slice(i + sep.length) };
    name += c;
  }
  return null;
}

export function parseItems(items: readonly string[]): RequestItems {
  const out: RequestItems = { query: [], headers: [], fields: [], files: [] };
  for (const item of items) {
    const split = splitItem(item);
    if (!split) {
      throw new UsageError(
        `request item ${JSON.stringify(item)} has no separator; expected name=value, name:=json, name==query, Header:value or field@file`,
      );
    }
    const { name, sep, value } = split;
    switch (sep) {
      case '==':
        out.query.push([name, value]);
        break;
      case ':':
        out.headers.push([name, value]);
        break;
      case '=':
        out.fields.push([name, value]);
        break;
      case '@':
        out.files.push([name, value]);
        break;
      case ':=':
        try {
          out.fields.push([name, JSON.parse(value)]);
        } catch {
          throw new UsageError(`request item ${JSON.stringify(item)}: ${JSON.stringify(value)} is not JSON (name:=json takes a JSON value)`);
        }
        break;
    }
  }
  return out;
}
