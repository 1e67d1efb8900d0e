/**
 * Building the first {@link PreparedRequest} of a call from a method, a URL and normalised
 * options, with the session's settings underneath: the `prepare_*` steps of Requests, one
 * concern each, in the order they depend on each other.
 */
import { authFromUrl, HTTPBasicAuth, type AuthBase } from '../auth.js';
import { InvalidMethod, InvalidSchema, describe } from '../errors.js';
import { Headers } from '../headers.js';
import { readFileSync } from 'node:fs';
import { netrcPath, parseNetrc, type Netrc } from '../netrc.js';
import type { NormalizedRequestOptions, NormalizedSessionOptions } from '../session/options.js';
import { supportedEncodings } from '../channel/encodings.js';
import { VERSION } from '../version.js';
import { encodeBody } from './body.js';
import { requestFrom, type PreparedRequest } from './prepared-request.js';
import { SERVED_SCHEMES, SERVED_SCHEMES_TEXT } from './served-schemes.js';
import { encodeParams, prepareUrl, wireUrl, type ParamsInit } from './url.js';

export const DEFAULT_USER_AGENT = `nodequests/${VERSION}`;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// Every request starts from these; validated once, copied per request.
const DEFAULT_HEADERS = new Headers({
  'User-Agent': DEFAULT_USER_AGENT,
  Accept: '*/*',
  'Accept-Encoding': supportedEncodings().join(', '),
});

export interface PreparedCall {
  request: PreparedRequest;
  /** The target with its fragment (redirects carry it). */
  url: URL;
  /** The credentials in force for this call, for challenges and redirects. */
  auth: AuthBase | null;
  /** What the response becomes when the server agrees (`r.extension`), from the scheme. */
  extension: ExtensionKind | null;
}

/** The protocols a response can turn into. */
export type ExtensionKind = 'websocket' | 'sse';

export function prepareCall(method: string, target: string | URL, opts: NormalizedRequestOptions, session: NormalizedSessionOptions): PreparedCall {
  const m = prepareMethod(method);
  const { url, extension } = prepareTarget(target, opts, session);
  const urlAuth = authFromUrl(url);
  if (urlAuth) {
    // Credentials in the URL become an Authorization header; they never go on the wire as is.
    url.username = '';
    url.password = '';
  }
  const headers = baseHeaders(session.headers).shared();
  if (opts.headers) headers.update(opts.headers);
  const body = encodeBody({ data: opts.data, json: opts.json, files: opts.files }, headers, m);
  const auth = opts.auth !== undefined ? opts.auth : (session.auth ?? (urlAuth ? new HTTPBasicAuth(...urlAuth) : null) ?? netrc(url, session));
  if (extension === 'sse') {
    // An event stream is asked for as one; a cache in between must not answer it.
    if ((headers.get('accept') ?? '*/*') === '*/*') headers.set('Accept', 'text/event-stream');
    if (!headers.has('cache-control')) headers.set('Cache-Control', 'no-cache');
  }
  let request: PreparedRequest = { method: m, url: wireUrl(url), headers, body };
  if (auth) request = requestFrom(auth.apply(request), 'The auth');
  return { request, url, auth, extension };
}

/**
 * The defaults under the session's headers, merged once per version of the session's
 * headers (users may change them in place); each request gets a copy that shares them until
 * it changes them.
 */
const merged = new WeakMap<Headers, { version: number; headers: Headers }>();
function baseHeaders(session: Headers): Headers {
  let m = merged.get(session);
  if (m === undefined || m.version !== session.version) {
    m = { version: session.version, headers: DEFAULT_HEADERS.copyWith(session) };
    merged.set(session, m);
  }
  return m.headers;
}

const WEBSOCKET_SCHEMES = new Set(['ws:', 'wss:', 'ws+unix:', 'wss+rfc8441:']);
/** An event stream is plain HTTP on the wire: the scheme only says to read it as events. */
const SSE_SCHEMES = new Map([['sse:', 'https:'], ['psse:', 'http:'], ['psse+unix:', 'http+unix:']]);

// The usual spellings need neither the token check nor upper-casing.
const UPPER_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The method as sent: a token, upper-cased; an InvalidMethod otherwise. */
export function prepareMethod(method: string): string {
  if (UPPER_METHODS.has(method)) return method;
  if (typeof method !== 'string' || !METHOD.test(method)) throw new InvalidMethod(`Invalid HTTP method ${describe(method)}: expected a token such as GET or PURGE`);
  return method.toUpperCase();
}

/** The URL with the session's params, then the request's, merged into its query. */
function prepareTarget(target: string | URL, opts: NormalizedRequestOptions, session: NormalizedSessionOptions): { url: URL; extension: ExtensionKind | null } {
  // Two records merge key by key, as Requests' merge_setting does (the request's value wins,
  // null drops the key); any other form of request params is appended after the session's.
  const merged = isRecord(session.params) && isRecord(opts.params);
  const base = merged
    ? (Object.fromEntries(Object.entries({ ...(session.params as Record<string, unknown>), ...(opts.params as Record<string, unknown>) }).filter(([, v]) => v !== null && v !== undefined)) as ParamsInit)
    : session.params;
  let url = prepareUrl(target, base, session.baseUrl);
  // Read once (each read builds a string) and, for the usual schemes, looked up nowhere.
  const protocol = url.protocol;
  const plain = protocol === 'http:' || protocol === 'https:';
  if (!plain && !SERVED_SCHEMES.has(protocol)) {
    throw new InvalidSchema(`Scheme ${JSON.stringify(protocol.slice(0, -1))} of ${JSON.stringify(url.href)} is not served by this version of nodequests yet (it speaks ${SERVED_SCHEMES_TEXT})`);
  }
  const http = plain ? undefined : SSE_SCHEMES.get(protocol);
  // The URL class cannot switch between special and other schemes in place: parsed again.
  if (http !== undefined) url = prepareUrl(http + url.href.slice(protocol.length));
  const extra = merged ? '' : encodeParams(opts.params);
  if (extra) url.search = url.search.length > 1 ? `${url.search.slice(1)}&${extra}` : extra;
  return { url, extension: plain ? null : http !== undefined ? 'sse' : WEBSOCKET_SCHEMES.has(protocol) ? 'websocket' : null };
}

// Read once per session, not per request: a crawl would otherwise stat and read the file
// for every URL.
const netrcBySession = new WeakMap<NormalizedSessionOptions, Netrc | null>();

export function netrc(url: URL, session: NormalizedSessionOptions): AuthBase | null {
  if (!session.trustEnv) return null;
  let file = netrcBySession.get(session);
  if (file === undefined) {
    const path = netrcPath();
    try {
      file = path ? parseNetrc(readFileSync(path, 'utf8')) : null;
    } catch {
      file = null; // as Requests: an unreadable netrc is no netrc
    }
    netrcBySession.set(session, file);
  }
  const entry = file?.machines.get(url.hostname.toLowerCase()) ?? file?.default;
  return entry ? new HTTPBasicAuth(entry.login || entry.account, entry.password) : null;
}

function isRecord(p: ParamsInit | null): p is ParamsInit & Record<string, unknown> {
  return p !== null && typeof p === 'object' && !(p instanceof URLSearchParams) && !(Symbol.iterator in p);
}
