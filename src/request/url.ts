/**
 * Turns what a user gives as a URL (plus `params` and a session's `baseUrl`) into the one
 * absolute `URL` a request goes to, or a typed error that names the bad URL.
 *
 * The WHATWG parser does most of the work (IDNA to punycode, percent-encoding non-ASCII
 * once), but it is a browser's parser: it accepts `http://*` and reads `http:///path` as
 * host `path`, and for the schemes it does not know (`sse:`, `http+unix:`, ...) it keeps
 * the host as opaque text. The checks here close those gaps so that every URL that leaves
 * this module has a scheme nodequests speaks and a host it can connect to.
 *
 * @example
 * ```ts
 * const u = prepareUrl('https://bücher.example/päth#top', { q: ['a', 'b'] });
 * u.href;       // 'https://xn--bcher-kva.example/p%C3%A4th?q=a&q=b#top'
 * wireUrl(u);   // 'https://xn--bcher-kva.example/p%C3%A4th?q=a&q=b'
 * ```
 */
import { domainToASCII } from 'node:url';
import { InvalidOption, InvalidSchema, InvalidURL, MissingSchema, describe } from '../errors.js';
import { SERVED_SCHEMES_TEXT } from './served-schemes.js';

/**
 * A query value: scalars are stringified, `null`/`undefined` drop the key.
 *
 * @example
 * ```ts
 * const v: ParamValue = 2; // -> 'page=2'
 * ```
 */
export type ParamValue = string | number | boolean | bigint | null | undefined;

/**
 * What `params` may be: a record (an array value repeats the key; `null`/`undefined`
 * drops it), a list of pairs, a `URLSearchParams`, or an already encoded query string.
 *
 * @example
 * ```ts
 * const p: ParamsInit = { key1: 'value1', key2: ['value2', 'value3'], skipped: null };
 * ```
 */
export type ParamsInit =
  | string
  | URLSearchParams
  | Readonly<Record<string, ParamValue | readonly ParamValue[]>>
  | Iterable<readonly [string, ParamValue]>;

/**
 * Every scheme a request may use; the engine decides what each one means on the wire.
 *
 * @example
 * ```ts
 * SUPPORTED_SCHEMES.has('wss+rfc8441'); // true
 * ```
 */
export const SUPPORTED_SCHEMES: ReadonlySet<string> = new Set([
  'http', 'https', 'http+unix',
  'ws', 'wss', 'ws+unix', 'wss+rfc8441',
  'sse', 'psse', 'psse+unix',
]);

// Schemes the WHATWG parser treats as "special": it lowercases, IDNA-encodes and validates
// their hosts itself. For the others we do that by hand.
const WHATWG_SPECIAL = new Set(['http', 'https', 'ws', 'wss']);

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// `localhost:8080/x` parses as scheme `localhost`; a digit run after the colon shows it
// was meant as host:port, so we report a missing scheme rather than an unknown one.
const HOST_PORT = /^[A-Za-z0-9.-]+:\d+(?:[/?#]|$)/;
// A DNS label as found in real hostnames (underscores included, as resolvers accept them).
const LABEL = /^[A-Za-z0-9_-]{1,63}$/;
// A `%` that does not start an escape would be read as one by the server: send it as %25.
const LONE_PERCENT = /%(?![0-9A-Fa-f]{2})/g;

/**
 * Builds the absolute URL of a request.
 *
 * @param url - absolute, or relative to `baseUrl`. Surrounding whitespace is ignored.
 * @param params - merged into the query (after what the URL has), before the fragment.
 * @param baseUrl - prefix for a relative `url`; its path is kept (`/api/v1` + `users`
 *   gives `/api/v1/users`). An absolute `url` ignores it.
 * @returns the URL, fragment included (see {@link wireUrl} for what goes on the wire).
 * @throws MissingSchema when there is no scheme, InvalidSchema when it is not one of
 *   {@link SUPPORTED_SCHEMES}, InvalidURL when the URL cannot be parsed or has no usable host.
 *
 * @example
 * ```ts
 * prepareUrl('users', { page: 2 }, 'http://h/api/v1').href; // 'http://h/api/v1/users?page=2'
 * prepareUrl('http+unix://%2Ftmp%2Fs.sock/version');        // host is the socket path
 * ```
 */
export function prepareUrl(url: string | URL, params?: ParamsInit | null, baseUrl?: string | null): URL {
  let text: string;
  if (url instanceof URL) text = url.href;
  else if (typeof url === 'string') text = url.trim();
  else throw new InvalidURL(`Invalid URL ${describe(url)}: expected a string or a URL`);

  if (baseUrl !== null && baseUrl !== undefined && baseUrl !== '' && !isAbsolute(text)) {
    text = joinBase(String(baseUrl).trim(), text);
  }

  const u = parseAbsolute(text);
  const query = encodeParams(params);
  if (query) {
    const existing = u.search.slice(1);
    u.search = existing ? `${existing}&${query}` : query;
  }
  return u;
}

/**
 * The URL as it goes on the wire: the same href without the fragment, which is only for
 * the client. (Userinfo is left in; the transport takes credentials out of it.)
 *
 * @example
 * ```ts
 * wireUrl(new URL('http://h/a?b=1#c')); // 'http://h/a?b=1'
 * ```
 */
export function wireUrl(u: URL): string {
  // `#` is always escaped outside the fragment, so the first one starts it.
  const i = u.href.indexOf('#');
  return i === -1 ? u.href : u.href.slice(0, i);
}

/**
 * `scheme://authority` of a serialized absolute URL (what {@link wireUrl} gives), without
 * parsing it again.
 *
 * @example
 * ```ts
 * originOf('https://h:8443/a?b=1'); // 'https://h:8443'
 * ```
 */
export function originOf(url: string): string {
  const end = url.indexOf('/', url.indexOf('//') + 2);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * For a `*+unix` URL, the socket path it names (its host, percent-decoded); `null` for any
 * other scheme.
 *
 * @example
 * ```ts
 * unixSocketOf(new URL('http+unix://%2Ftmp%2Fs.sock/path')); // '/tmp/s.sock'
 * unixSocketOf(new URL('http://h/'));                        // null
 * ```
 */
export function unixSocketOf(u: URL): string | null {
  if (!u.protocol.endsWith('+unix:')) return null;
  try {
    return decodeURIComponent(u.hostname);
  } catch {
    return u.hostname;
  }
}

/**
 * Encodes `params` as a query string (form encoding: spaces as `+`), or `''` when there
 * is nothing to add. A string is taken as already encoded.
 *
 * @example
 * ```ts
 * encodeParams([['a', '1'], ['a', '2']]); // 'a=1&a=2'
 * ```
 */
export function encodeParams(params: ParamsInit | null | undefined): string {
  if (params === null || params === undefined) return '';
  // A given string keeps its own encoding; only a leading `?` or `&` would be doubled.
  if (typeof params === 'string') return params.replace(/^[?&]+/, '');
  if (params instanceof URLSearchParams) return params.toString();
  const out = new URLSearchParams();
  for (const [name, value] of paramEntries(params)) {
    if (!isScalar(name)) throw new InvalidOption(`Invalid query parameter name ${describe(name)}: expected a string`);
    const key = String(name);
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v === null || v === undefined) continue;
      if (!isScalar(v)) {
        throw new InvalidOption(`Invalid value for query parameter ${JSON.stringify(key)}: ${describe(v)} (expected a string, number or boolean)`);
      }
      out.append(key, String(v));
    }
  }
  return out.toString();
}

function isScalar(v: unknown): v is string | number | bigint | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean';
}

function paramEntries(params: unknown): Iterable<readonly [unknown, unknown]> {
  if (typeof params !== 'object' || params === null) {
    throw new InvalidOption(`Invalid params ${describe(params)}: expected a record, a list of pairs, URLSearchParams or a string`);
  }
  if (params instanceof Map) return params as Map<unknown, unknown>;
  if (Array.isArray(params) || typeof (params as any)[Symbol.iterator] === 'function') {
    const pairs: [unknown, unknown][] = [];
    for (const pair of params as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new InvalidOption(`Invalid params entry ${describe(pair)}: expected a [key, value] pair`);
      }
      pairs.push([pair[0], pair[1]]);
    }
    return pairs;
  }
  return Object.entries(params);
}

function isAbsolute(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text);
}

// Appending (rather than RFC 3986 resolution) is what users of a base URL mean: with
// `new URL('/users', 'http://h/api/v1')` the `/api/v1` would be lost.
function joinBase(base: string, relative: string): string {
  if (relative === '') return base;
  if (relative.startsWith('?') || relative.startsWith('#')) return base + relative;
  return `${base.replace(/\/+$/, '')}/${relative.replace(/^\/+/, '')}`;
}

// Authorities (`scheme://userinfo@host:port`) already seen to name a usable host: what
// parseAbsolute checks of the scheme and host depends on nothing else, and most programs
// talk to few origins. Bounded, for crawls.
const checkedAuthorities = new Set<string>();
const MAX_CHECKED = 4096;
// The one checked last, compared in place: looking a fresh slice up in the set hashes it,
// and most calls repeat the previous one's authority.
let lastAuthority = '';

/** Whether `text`'s authority (it ends at `end`) has been checked already. */
function checkedAlready(text: string, end: number): boolean {
  if (end === lastAuthority.length && text.startsWith(lastAuthority)) return true;
  const authority = text.slice(0, end);
  if (!checkedAuthorities.has(authority)) return false;
  lastAuthority = authority;
  return true;
}

function parseAbsolute(text: string): URL {
  const authorityEnd = knownAuthorityEnd(text);
  const known = authorityEnd !== -1 && checkedAlready(text, authorityEnd);
  const scheme = known ? '' : checkSchemeAndAuthority(text);

  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InvalidURL(`Invalid URL ${JSON.stringify(text)}: cannot be parsed`);
  }

  if (!known) {
    if (scheme.endsWith('+unix')) {
      if (!unixSocketOf(u)) {
        throw new InvalidURL(`Invalid URL ${JSON.stringify(text)}: No socket path supplied (e.g. "${scheme}://%2Ftmp%2Fapp.sock/path")`);
      }
    } else {
      if (!WHATWG_SPECIAL.has(scheme)) normaliseOpaqueHost(u, text);
      checkHost(u.hostname, text);
    }
    // Only authorities of schemes the parser treats alike: for the others the host is
    // rewritten above, so the text alone does not tell the URL.
    if (authorityEnd !== -1 && (scheme === 'http' || scheme === 'https')) {
      if (checkedAuthorities.size >= MAX_CHECKED) checkedAuthorities.clear();
      lastAuthority = text.slice(0, authorityEnd);
      checkedAuthorities.add(lastAuthority);
    }
  }

  // Non-special schemes keep an empty path; every request line needs at least `/`.
  if (u.pathname === '') u.pathname = '/';
  // Only a `%` in the text can be a lone one (the parser's own escapes are whole).
  if (text.includes('%')) {
    const path = u.pathname.replace(LONE_PERCENT, '%25');
    if (path !== u.pathname) u.pathname = path;
    const search = u.search.replace(LONE_PERCENT, '%25');
    if (search !== u.search) u.search = search;
  }
  return u;
}

/** Where the authority of an `http://` or `https://` URL ends, or -1 for any other text. */
function knownAuthorityEnd(text: string): number {
  let at: number;
  if (text.startsWith('http://')) at = 7;
  else if (text.startsWith('https://')) at = 8;
  else return -1;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // / ? # \
    if (c === 47 || c === 63 || c === 35 || c === 92) return i;
  }
  return text.length;
}

/** Checks what the WHATWG parser would let through; returns the scheme in lower case. */
function checkSchemeAndAuthority(text: string): string {
  const m = SCHEME.exec(text);
  if (!m || HOST_PORT.test(text)) {
    if (text === '') throw new MissingSchema('Invalid URL "": No scheme supplied. Perhaps you meant "http://<host>/"?');
    throw new MissingSchema(
      `Invalid URL ${JSON.stringify(text)}: No scheme supplied. Perhaps you meant "http://${text}"?`,
    );
  }
  const scheme = m[1]!.toLowerCase();
  if (!SUPPORTED_SCHEMES.has(scheme)) {
    throw new InvalidSchema(
      `Invalid URL ${JSON.stringify(text)}: scheme "${scheme}" is not supported (nodequests speaks ${SERVED_SCHEMES_TEXT})`,
    );
  }

  // The WHATWG parser skips any number of slashes for http(s), so `http:///x` would go to
  // host `x`. An authority that is present but empty means no host was given.
  const rest = text.slice(m[0].length);
  const authority = /^[/\\]{2}([^/\\?#]*)/.exec(rest);
  if (authority && authority[1]!.replace(/^.*@/, '') === '') {
    throw new InvalidURL(`Invalid URL ${JSON.stringify(text)}: No host supplied`);
  }
  return scheme;
}

// For `sse:`, `wss+rfc8441:` and the like the parser keeps the host as written, percent-
// encoding non-ASCII: we decode it and apply IDNA so they resolve like http(s) hosts do.
function normaliseOpaqueHost(u: URL, text: string): void {
  const host = u.hostname;
  if (host === '' || host.startsWith('[')) return;
  let decoded: string;
  try {
    decoded = decodeURIComponent(host);
  } catch {
    throw new InvalidURL(`Invalid URL ${JSON.stringify(text)}: invalid host ${JSON.stringify(host)}`);
  }
  const ascii = domainToASCII(decoded);
  if (ascii === '') throw new InvalidURL(`Invalid URL ${JSON.stringify(text)}: invalid host ${JSON.stringify(decoded)}`);
  if (ascii !== host) u.hostname = ascii;
}

function checkHost(hostname: string, text: string): void {
  if (hostname === '') throw new InvalidURL(`Invalid URL ${JSON.stringify(text)}: No host supplied`);
  if (hostname.startsWith('[')) return; // IPv6 literal, already validated by the parser
  // One trailing dot is a fully qualified name; anything else empty is a broken label.
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) {
    throw new InvalidURL(`Invalid URL ${JSON.stringify(text)}: invalid host ${JSON.stringify(hostname)}`);
  }
}
