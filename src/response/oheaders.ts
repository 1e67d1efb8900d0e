/**
 * An object view of headers: `r.oheaders.contentType.charset`, `r.oheaders.date` as a
 * `Date`. Property names are header names in camelCase; a value is a {@link HeaderValue}
 * (its parameters as properties), a `Date` for date fields, or a list of them for a field
 * that was repeated; `undefined` when absent.
 *
 * @example
 * ```ts
 * r.oheaders.contentType.mime;     // 'text/html'
 * r.oheaders.contentType.charset;  // 'utf-8'
 * r.oheaders.date.getFullYear();   // 2026
 * ```
 */
import type { Headers } from '../headers.js';

const DATE_FIELDS = new Set(['date', 'expires', 'last-modified', 'if-modified-since', 'if-unmodified-since']);

/** One header field: its full text, its first part, and its `key=value` parameters. */
export class HeaderValue {
  readonly value: string;
  /** The part before the first `;` (for Content-Type: the media type). */
  readonly mime: string;
  readonly params: Readonly<Record<string, string>>;
  [param: string]: unknown;

  constructor(value: string) {
    this.value = value;
    const [first = '', ...rest] = value.split(';');
    this.mime = first.trim();
    const params: Record<string, string> = {};
    for (const p of rest) {
      const at = p.indexOf('=');
      if (at === -1) continue;
      const k = p.slice(0, at).trim().toLowerCase();
      params[k] = p.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    this.params = params;
    for (const [k, v] of Object.entries(params)) if (!(k in this)) this[camel(k)] = v;
  }

  toString(): string {
    return this.value;
  }
}

export type HeaderView = HeaderValue | Date | Array<HeaderValue | Date> | undefined;

export function objectHeaders(headers: Headers): Record<string, HeaderView> {
  return new Proxy({} as Record<string, HeaderView>, {
    get(_, prop) {
      if (typeof prop !== 'string') return undefined;
      const name = kebab(prop);
      const values = headers.getAll(name);
      if (values.length === 0) return undefined;
      const views = values.map((v) => view(name, v));
      return views.length === 1 ? views[0] : views;
    },
    has(_, prop) {
      return typeof prop === 'string' && headers.has(kebab(prop));
    },
    ownKeys() {
      return [...headers.keys()].map((k) => camel(k.toLowerCase()));
    },
    getOwnPropertyDescriptor(_, prop) {
      return typeof prop === 'string' && headers.has(kebab(prop)) ? { enumerable: true, configurable: true } : undefined;
    },
  });
}

function view(name: string, value: string): HeaderValue | Date {
  if (DATE_FIELDS.has(name)) {
    const d = new Date(value);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return new HeaderValue(value);
}

function kebab(prop: string): string {
  return prop.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, '-');
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
