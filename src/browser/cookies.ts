/**
 * The cookie jar of the browser build. The browser keeps cookies itself: a response's
 * `Set-Cookie` never reaches a script and a request's `Cookie` header is the browser's to
 * write, so a jar here stays empty and storing into it is refused, saying what to use
 * instead (the `credentials` option). The class keeps the Node jar's shape so the shared
 * policy code and user code that only reads a jar run unchanged.
 */
import { BrowserUnsupported } from '../errors.js';

export type { CookieInfo, CookieScope, CookieOptions, CookiesInit, SerializedCookies } from '../cookies.js';
import type { CookieInfo, CookiesInit, SerializedCookies } from '../cookies.js';

function refuse(what: string): never {
  throw new BrowserUnsupported(
    `Cannot ${what}: in the browser, cookies are kept by the browser (document.cookie and the servers' Set-Cookie), never by nodequests. Choose whether requests carry them with the credentials option ('omit', 'same-origin' or 'include')`,
  );
}

export class CookieJar implements Iterable<CookieInfo> {
  /** A jar from a record or pairs: refused unless empty (an empty one is what a session starts with). */
  static from(init?: CookiesInit | null): CookieJar {
    return new CookieJar().merge(init ?? []);
  }

  static fromJSON(json: SerializedCookies | string): CookieJar {
    const data = typeof json === 'string' ? (JSON.parse(json) as SerializedCookies) : json;
    if (data?.cookies?.length) refuse('load cookies into a jar');
    return new CookieJar();
  }

  get(_name: string): string | undefined {
    return undefined;
  }
  has(_name: string): boolean {
    return false;
  }
  set(name: string, value: unknown): this {
    if (value === null || value === undefined) return this;
    return refuse(`set the cookie ${JSON.stringify(name)}`);
  }
  delete(_name: string): boolean {
    return false;
  }
  clear(): void {}
  get size(): number {
    return 0;
  }
  get empty(): boolean {
    return true;
  }
  *[Symbol.iterator](): IterableIterator<CookieInfo> {}
  toObject(): Record<string, string> {
    return {};
  }
  toJSON(): SerializedCookies {
    return { version: 'nodequests-cookies/1', cookies: [] };
  }
  copy(): CookieJar {
    return new CookieJar();
  }
  merge(other: CookiesInit): this {
    if (other instanceof CookieJar) return this;
    const entries = Symbol.iterator in Object(other) ? [...(other as Iterable<unknown>)] : Object.keys(other);
    if (entries.length > 0) refuse('send cookies from a jar or the cookies option');
    return this;
  }
  /** Never called with anything: the browser hides Set-Cookie from scripts. */
  setFromResponse(): void {}
  cookieHeaderFor(): string | null {
    return null;
  }
}
