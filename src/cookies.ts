/**
 * The cookie jar of sessions and responses: tough-cookie underneath (RFC 6265 matching,
 * public-suffix checks), used only through its synchronous API so that the sync facade
 * can read and write cookies without awaiting.
 *
 * Like Requests' jar, a cookie set by hand without a domain is sent to every host
 * (`session.cookies.set('token', 'x')` works for whatever the session talks to). Such
 * cookies live beside the tough-cookie store, which requires a domain for each cookie, and
 * no server can delete them (a server deletes only cookies it could have set).
 *
 * A `Secure` cookie is stored only when it came over https (or wss / sse): a plain-http
 * response, which anyone on the path can forge, cannot plant one (Requests would keep it).
 * It is only ever sent over https / wss / sse, never to http://localhost either.
 *
 * @example
 * ```ts
 * const jar = new CookieJar();
 * jar.set('tasty_cookie', 'yum', { domain: 'httpbin.org', path: '/cookies' });
 * jar.cookieHeaderFor('https://httpbin.org/cookies'); // 'tasty_cookie=yum'
 * jar.setFromResponse(['sid=1; Path=/; HttpOnly'], 'http://127.0.0.1:8080/login');
 * jar.get('sid');                                     // '1'
 * ```
 */
import type { Cookie, CookieJar as ToughJar, MemoryCookieStore } from 'tough-cookie';
import { InvalidOption, describe } from './errors.js';
import { onFirstUse } from './on-first-use.js';

/**
 * A cookie as the jar shows it.
 *
 * @example
 * ```ts
 * for (const c of jar) console.log(c.name, c.value, c.domain || '(any host)', c.expires);
 * ```
 */
export interface CookieInfo {
  name: string;
  value: string;
  /** The domain it is sent to (and its subdomains unless `hostOnly`); `''` for any host. */
  domain: string;
  path: string;
  secure: boolean;
  /** When it expires; `null` for a session cookie. */
  expires: Date | null;
  httpOnly: boolean;
  /** Sent to exactly `domain`, not its subdomains (a Set-Cookie without `Domain=`). */
  hostOnly: boolean;
}

/**
 * Where a cookie applies, to look it up or delete it.
 *
 * @example
 * ```ts
 * jar.get('sid', { domain: 'example.com', path: '/' });
 * ```
 */
export interface CookieScope {
  /** Exact domain (a leading dot is ignored); `''` selects the any-host cookies. */
  domain?: string;
  /** Exact path. */
  path?: string;
}

/**
 * The attributes of a cookie set by hand.
 *
 * @example
 * ```ts
 * jar.set('sid', 'abc', { domain: 'example.com', secure: true, expires: Date.now() + 3_600_000 });
 * ```
 */
export interface CookieOptions extends CookieScope {
  secure?: boolean;
  httpOnly?: boolean;
  /** A Date, a time in ms since the epoch, or a date string; omitted for a session cookie. */
  expires?: Date | number | string | null;
}

/**
 * What a session or request accepts as cookies.
 *
 * @example
 * ```ts
 * const init: CookiesInit = { cookies_are: 'working' };
 * ```
 */
export type CookiesInit =
  | CookieJar
  | Readonly<Record<string, string | number | null | undefined>>
  | Iterable<readonly [string, string | number | null | undefined]>;

/**
 * The serialised form of a jar, from {@link CookieJar.toJSON}.
 *
 * @example
 * ```ts
 * fs.writeFileSync('cookies.json', JSON.stringify(jar)); // a SerializedCookies
 * ```
 */
export interface SerializedCookies {
  version: string;
  cookies: unknown[];
}

const FORMAT = 'nodequests-cookies/1';

/**
 * tough-cookie, loaded the first time a jar holds or parses a cookie: it costs a script's
 * start tens of milliseconds and ~10 MiB, and a request with an empty jar whose response
 * sets no cookie never needs it.
 */
const tough = onFirstUse<typeof import('tough-cookie')>('tough-cookie');

/**
 * A cookie jar for a session or a response: RFC 6265 matching by tough-cookie, plus the
 * any-host cookies that Requests' jar allows. Every method is synchronous.
 *
 * @example
 * ```ts
 * const jar = CookieJar.from({ theme: 'dark' });
 * jar.setFromResponse(['sid=1; HttpOnly'], 'http://127.0.0.1:8080/');
 * jar.cookieHeaderFor('http://127.0.0.1:8080/'); // 'theme=dark; sid=1'
 * ```
 */
export class CookieJar implements Iterable<CookieInfo> {
  /** The domain cookies, made with the first one (see {@link tough}). */
  #toughJar: ToughJar | null = null;
  // Any-host cookies, keyed by path and name (the identity of a cookie besides its domain).
  #anyHost = new Map<string, Cookie>();
  /** False until a cookie is stored (and again once the jar is seen empty): see {@link empty}. */
  #everStored = false;
  /**
   * What the request path asks of every request, kept until the jar changes: until when a
   * cookie is known to live (ms since the epoch; 0: not known), and the stored domains.
   */
  #liveUntil = 0;
  #domains: string[] | null = null;

  /**
   * Builds a jar from a record, a list of pairs (any-host cookies) or another jar (copied).
   *
   * @example
   * ```ts
   * CookieJar.from({ cookies_are: 'working' }).cookieHeaderFor('http://x/'); // 'cookies_are=working'
   * ```
   */
  static from(init?: CookiesInit | null): CookieJar {
    if (init instanceof CookieJar) return init.copy();
    return new CookieJar().merge(init ?? []);
  }

  /**
   * Rebuilds a jar from {@link CookieJar.toJSON}'s output (object or JSON text). A
   * tough-cookie `serialize()` result is accepted too.
   *
   * @example
   * ```ts
   * const again = CookieJar.fromJSON(JSON.stringify(jar));
   * ```
   */
  static fromJSON(json: SerializedCookies | string): CookieJar {
    let data: unknown = json;
    if (typeof json === 'string') {
      try {
        data = JSON.parse(json);
      } catch (err) {
        throw new InvalidOption(`Invalid cookie jar JSON ${describe(json)}: ${(err as Error).message}`, { cause: err });
      }
    }
    const list = (data as SerializedCookies | null)?.cookies;
    if (!Array.isArray(list)) {
      throw new InvalidOption(`Invalid cookie jar JSON ${describe(data)}: expected an object with a "cookies" array`);
    }
    const jar = new CookieJar();
    for (const item of list) {
      const cookie = tough().Cookie.fromJSON(item);
      if (!cookie) throw new InvalidOption(`Invalid cookie in jar JSON: ${describe(item)}`);
      jar.#put(cookie);
    }
    return jar;
  }

  /**
   * The value of the most recently created cookie with this name (within `scope` when
   * given), or `undefined`.
   *
   * @example
   * ```ts
   * jar.get('sid', { domain: 'example.com' });
   * ```
   */
  get(name: string, scope: CookieScope = {}): string | undefined {
    let best: Cookie | undefined;
    for (const c of this.#all()) {
      if (c.key !== name || !inScope(c, scope)) continue;
      if (!best || (c.creationIndex ?? 0) > (best.creationIndex ?? 0)) best = c;
    }
    return best?.value;
  }

  /** Whether a cookie with this name (within `scope`) is in the jar. */
  has(name: string, scope: CookieScope = {}): boolean {
    return this.get(name, scope) !== undefined;
  }

  /**
   * Sets a cookie. Without `domain` it is sent to every host; with one, to that domain and
   * its subdomains. A `null` or `undefined` value deletes the cookie instead, as in Requests.
   *
   * @example
   * ```ts
   * jar.set('theme', 'dark');                                      // any host
   * jar.set('sid', 'abc', { domain: 'api.example.com', secure: true, httpOnly: true });
   * ```
   */
  set(name: string, value: string | number | null | undefined, options: CookieOptions = {}): this {
    if (typeof name !== 'string') throw new InvalidOption(`Invalid cookie name ${describe(name)}: expected a string`);
    if (value === null || value === undefined) {
      this.delete(name, options);
      return this;
    }
    if (typeof value !== 'string' && typeof value !== 'number') throw new InvalidOption(`Invalid value for cookie ${JSON.stringify(name)}: ${describe(value)}: expected a string or a number`);
    const domain = options.domain ? normDomain(options.domain) : null;
    const cookie = new (tough().Cookie)({
      key: name,
      value: String(value),
      domain,
      path: options.path ?? '/',
      secure: options.secure ?? false,
      httpOnly: options.httpOnly ?? false,
      expires: toDate(options.expires, name) ?? 'Infinity',
      hostOnly: domain === null ? null : false,
      creation: new Date(),
    });
    // Cookie() accepts anything; refuse what could not go in a Cookie header (a value is
    // otherwise free-form, as Requests lets it be).
    if (name === '' || /[=;,\s\0]/.test(name) || /[;\r\n\0]/.test(cookie.value)) {
      throw new InvalidOption(`Invalid cookie ${JSON.stringify(name)}=${describe(String(value))}: it cannot be sent in a Cookie header`);
    }
    this.#put(cookie);
    return this;
  }

  /**
   * Deletes every cookie with this name within `scope`; tells whether any was there.
   *
   * @example
   * ```ts
   * jar.delete('sid', { domain: 'example.com' });
   * ```
   */
  delete(name: string, scope: CookieScope = {}): boolean {
    let found = false;
    for (const c of this.#all(false)) {
      if (c.key === name && inScope(c, scope)) {
        this.#remove(c);
        found = true;
      }
    }
    return found;
  }

  /** Removes every cookie (or those of one domain, when given). */
  clear(domain?: string): void {
    if (domain === undefined) {
      this.#toughJar?.removeAllCookiesSync();
      this.#anyHost.clear();
      this.#changed();
      return;
    }
    for (const c of this.#all(false)) if (inScope(c, { domain })) this.#remove(c);
  }

  /** The number of unexpired cookies. */
  get size(): number {
    let n = 0;
    for (const _ of this.#all()) n++;
    return n;
  }

  /**
   * True when the jar holds no cookie. What a request checks before asking tough-cookie for
   * a Cookie header, so it stops at the first unexpired cookie it finds.
   */
  get empty(): boolean {
    if (!this.#everStored) return true;
    const now = Date.now();
    if (this.#liveUntil > now) return false;
    this.#liveUntil = this.#latestExpiry(now);
    if (this.#liveUntil > 0) return false;
    this.#all(); // drops the expired ones
    this.#everStored = false;
    return true;
  }

  /** Every unexpired cookie, oldest first. */
  *[Symbol.iterator](): IterableIterator<CookieInfo> {
    for (const c of this.#all()) yield info(c);
  }

  /**
   * Name to value, for display or for a server that wants a plain object. Later cookies
   * win when a name is set for several domains.
   */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of this.#all()) out[c.key] = c.value;
    return out;
  }

  /** A plain serialisable form; {@link CookieJar.fromJSON} reads it back. */
  toJSON(): SerializedCookies {
    return { version: FORMAT, cookies: this.#all().map((c) => c.toJSON()) };
  }

  /** An independent copy: later changes to either jar do not show in the other. */
  copy(): CookieJar {
    return new CookieJar().merge(this);
  }

  /**
   * Adds another jar's cookies (or a record / pairs as any-host cookies), replacing
   * cookies with the same domain, path and name.
   *
   * @example
   * ```ts
   * const perRequest = session.cookies.copy().merge({ one_off: '1' });
   * ```
   */
  merge(other: CookiesInit): this {
    if (other instanceof CookieJar) {
      for (const c of other.#all()) this.#put(c.clone() ?? c);
      return this;
    }
    for (const [name, value] of cookieEntries(other)) this.set(name, value);
    return this;
  }

  /**
   * Stores the cookies of a response's `Set-Cookie` fields, received from `url`. Invalid
   * or foreign cookies are ignored, as a browser would, and so is a `Secure` cookie over
   * plain http; a cookie that arrives already expired (`Max-Age=0`, a past `Expires`)
   * deletes the stored one of that host, never one set by hand for any host.
   *
   * @example
   * ```ts
   * jar.setFromResponse(r.headers.getSetCookie(), r.url);
   * ```
   */
  setFromResponse(setCookieHeaders: readonly string[], url: string): void {
    const target = cookieUrl(url);
    if (!target) return;
    const now = Date.now();
    for (const header of setCookieHeaders) {
      const stored = this.#domainJar().setCookieSync(header, target, { ignoreError: true, http: true });
      if (!stored) continue;
      this.#everStored = true;
      this.#changed();
      const expiry = stored.expiryTime();
      if (expiry !== undefined && expiry <= now) this.#remove(stored);
    }
  }

  /**
   * The `Cookie` header value for a request to `url` (matching domain, path, `Secure` and
   * expiry, longest path first), or `null` when no cookie applies.
   *
   * @example
   * ```ts
   * const value = jar.cookieHeaderFor('https://example.com/a/b');
   * if (value) headers.set('Cookie', value);
   * ```
   */
  cookieHeaderFor(url: string): string | null {
    const u = cookieUrl(url);
    if (!u) return null;
    if (this.#anyHost.size === 0 && !this.#mayHaveCookiesFor(u.hostname)) return null;
    const matched = this.#toughJar?.getCookiesSync(u, { http: true }) ?? [];
    const seen = new Set(matched.map((c) => anyHostKey(c.path, c.key)));
    let path = u.pathname;
    try {
      path = decodeURI(path);
    } catch {
      // keep it encoded
    }
    const now = Date.now();
    for (const c of this.#anyHost.values()) {
      // A host's own cookie of the same name and path overrides the any-host one.
      if (seen.has(anyHostKey(c.path, c.key))) continue;
      if (!tough().pathMatch(path, c.path ?? '/')) continue;
      if (c.secure && u.protocol !== 'https:') continue;
      if (isExpired(c, now)) continue;
      matched.push(c);
    }
    if (matched.length === 0) return null;
    // RFC 6265 5.4: longer paths first, then older first.
    matched.sort((a, b) => (b.path?.length ?? 0) - (a.path?.length ?? 0) || (a.creationIndex ?? 0) - (b.creationIndex ?? 0));
    return matched.map((c) => c.cookieString()).join('; ');
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `CookieJar ${JSON.stringify(this.#all().map((c) => `${c.key}=${c.value}@${c.domain ?? '*'}${c.path}`))}`;
  }

  /** When the last unexpired cookie expires (Infinity: a session cookie), or 0 when none is left. */
  #latestExpiry(now: number): number {
    let latest = 0;
    const consider = (c: Cookie): void => {
      const expiry = c.expiryTime() ?? Infinity;
      if (expiry > now && expiry > latest) latest = expiry;
    };
    for (const c of this.#anyHost.values()) consider(c);
    const idx = (this.#toughJar?.store as MemoryCookieStore | undefined)?.idx ?? {};
    for (const domain in idx) {
      for (const path in idx[domain]) {
        const byKey = idx[domain]![path]!;
        for (const key in byKey) consider(byKey[key]!);
      }
    }
    return latest;
  }

  #domainJar(): ToughJar {
    return (this.#toughJar ??= newToughJar());
  }

  #changed(): void {
    this.#liveUntil = 0;
    this.#domains = null;
  }

  /**
   * False when no stored domain could match `hostname`, so tough-cookie need not be asked:
   * a domain matches a host it is a suffix of, so one that is not even a substring cannot.
   * (The store keeps a domain's entry after its last cookie is gone; that only lets more
   * through.)
   */
  #mayHaveCookiesFor(hostname: string): boolean {
    this.#domains ??= this.#toughJar ? Object.keys((this.#toughJar.store as MemoryCookieStore).idx) : [];
    for (const domain of this.#domains) if (hostname.includes(domain)) return true;
    return false;
  }

  // Every cookie, oldest first; expired ones are dropped on the way unless asked for.
  #all(dropExpired = true): Cookie[] {
    let stored: Cookie[] = [];
    // The memory store answers synchronously; it has no error to report.
    this.#toughJar?.store.getAllCookies((_err, cookies) => {
      stored = cookies ?? [];
    });
    const all = [...stored, ...this.#anyHost.values()];
    if (!dropExpired) return all;
    const now = Date.now();
    const live: Cookie[] = [];
    for (const c of all) {
      if (isExpired(c, now)) this.#remove(c);
      else live.push(c);
    }
    return live.sort((a, b) => (a.creationIndex ?? 0) - (b.creationIndex ?? 0));
  }

  #put(cookie: Cookie): void {
    this.#everStored = true;
    this.#changed();
    if (cookie.domain) {
      this.#domainJar().store.putCookie(cookie, () => {});
    } else {
      this.#anyHost.set(anyHostKey(cookie.path, cookie.key), cookie);
    }
  }

  #remove(cookie: Cookie): void {
    this.#changed();
    if (cookie.domain) {
      this.#toughJar?.store.removeCookie(cookie.domain, cookie.path, cookie.key, () => {});
    } else {
      this.#anyHost.delete(anyHostKey(cookie.path, cookie.key));
    }
  }
}

function newToughJar(): ToughJar {
  return new (tough().CookieJar)(undefined, {
    // localhost, *.localhost, *.test and the like are where tests and dev servers live.
    allowSpecialUseDomain: true,
    rejectPublicSuffixes: true,
    // A Set-Cookie without `name=` is dropped, as Requests' parser does.
    looseMode: false,
    // Secure cookies go only over https, even to localhost (Requests' rule), and are
    // accepted only from https, localhost included.
    allowSecureOnLocal: false,
    enforceSecureOriginOnStorage: true,
  });
}

// The http(s) URL that stands for a request URL when matching cookies: the WebSocket and
// SSE schemes map to the transport they run on; a unix socket counts as localhost. An
// http(s) URL stands for itself (matching reads only its host, path and scheme).
function cookieUrl(url: string): URL | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol === 'http:' || u.protocol === 'https:') return u;
  const scheme = u.protocol.slice(0, -1);
  const secure = scheme === 'wss' || scheme === 'wss+rfc8441' || scheme === 'sse';
  const host = scheme.endsWith('+unix') ? 'localhost' : u.host;
  if (!host) return null;
  try {
    return new URL(`${secure ? 'https' : 'http'}://${host}${u.pathname || '/'}${u.search}`);
  } catch {
    return null;
  }
}

function anyHostKey(path: string | null | undefined, name: string): string {
  return `${path ?? '/'}\n${name}`;
}

function isExpired(c: Cookie, now: number): boolean {
  const expiry = c.expiryTime();
  return expiry !== undefined && expiry <= now;
}

function normDomain(domain: string): string {
  return domain.trim().replace(/^\./, '').toLowerCase();
}

function inScope(c: Cookie, scope: CookieScope): boolean {
  if (scope.domain !== undefined && (c.domain ?? '') !== normDomain(scope.domain)) return false;
  if (scope.path !== undefined && c.path !== scope.path) return false;
  return true;
}

function info(c: Cookie): CookieInfo {
  const expiry = c.expiryTime();
  return {
    name: c.key,
    value: c.value,
    domain: c.domain ?? '',
    path: c.path ?? '/',
    secure: c.secure,
    expires: expiry === undefined || !Number.isFinite(expiry) ? null : new Date(expiry),
    httpOnly: c.httpOnly,
    hostOnly: c.hostOnly === true,
  };
}

function toDate(value: CookieOptions['expires'], name: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new InvalidOption(`Invalid expires for cookie ${JSON.stringify(name)}: ${describe(value)} (expected a Date, ms since the epoch or a date string)`);
  }
  return d;
}

function cookieEntries(init: unknown): Iterable<readonly [string, string | number | null | undefined]> {
  if (init === null || init === undefined) return [];
  if (typeof init !== 'object') {
    throw new InvalidOption(`Invalid cookies ${describe(init)}: expected a CookieJar, a record or a list of [name, value] pairs`);
  }
  if (typeof (init as any)[Symbol.iterator] === 'function') {
    const out: [string, string | number | null | undefined][] = [];
    for (const pair of init as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw new InvalidOption(`Invalid cookies entry ${describe(pair)}: expected a [name, value] pair`);
      }
      out.push([pair[0], pair[1]]);
    }
    return out;
  }
  return Object.entries(init as Record<string, string | number | null | undefined>);
}
