/**
 * Options: the public types (which carry the documentation), the internal normalised form,
 * the defaults, and the one place where user input is checked. Everything past this module
 * trusts what it is given.
 */
import { normalizeAuth, type AuthBase } from '../auth.js';
import { CookieJar, type CookiesInit } from '../cookies.js';
import { InvalidOption, describe, type BodyTooLarge } from '../errors.js';
import { Headers, type HeadersInit } from '../headers.js';
import { encodeParams, type ParamsInit } from '../request/url.js';
import { normalizeHooks, type Hooks, type HooksInit } from './hooks.js';
import { checkDuration } from './duration.js';
import { normalizeRetries, type RetryInit, type RetryPolicy } from './retry.js';
import { normalizeTls, type CertInit, type TlsConfig, type VerifyInit } from './tls.js';
import { normalizeProxies, proxiesFromEnv, type ProxiesInit } from './proxies.js';
import { normalizeResolver, type ResolverSpec } from '../dns/resolver-spec.js';
import { appOf, type AppSpec, type FetchApp, type NodeListener } from '../app/app.js';
import type { Server } from 'node:http';

/**
 * Credentials: `[user, password]` (Basic), a string (Bearer token), an `HTTPBasicAuth`,
 * `HTTPDigestAuth` or `BearerTokenAuth`, or any object with `apply(request)`.
 */
export type AuthInit = readonly [string, string] | string | AuthBase;

/**
 * A time limit in milliseconds, or per phase. `null` means no limit.
 *
 * @example
 * ```ts
 * s.get(url, { timeout: 5_000 });                       // connect and each read: 5 s
 * s.get(url, { timeout: { connect: 1_000, read: 10_000, total: 60_000 } });
 * ```
 */
export type TimeoutInit = number | null | { connect?: number | null; read?: number | null; total?: number | null };

/**
 * The most a response body may be, in bytes: counted as it arrives and again as it decodes,
 * and stopped (with {@link BodyTooLarge}, the connection closed) the moment either passes.
 * `null` means no limit.
 *
 * Default: 1 GiB for a body read whole, none for a streamed one (`stream: true`), whose
 * reader holds only a window of it and decides when to stop.
 *
 * @example
 * ```ts
 * const s = new Session({ maxBodySize: 50 * 2 ** 20 });   // 50 MiB for every response
 * s.get(url, { maxBodySize: 4096 });                      // this one: 4 KiB
 * s.get(bigFile, { stream: true, maxBodySize: null });    // no limit
 * ```
 */
export type MaxBodySizeInit = number | null;

/** The default {@link MaxBodySizeInit} of a body read whole: 1 GiB. */
export const DEFAULT_MAX_BODY_SIZE = 2 ** 30;

/**
 * The largest WebSocket message taken, in bytes (text or binary, all its fragments together;
 * counted as received and again as permessage-deflate inflates it). A bigger one is refused as
 * it arrives: the connection is closed with 1009 (Message Too Big) and the read fails with
 * {@link BodyTooLarge}; nothing past the limit is buffered. `null` means no limit.
 *
 * It is not `maxBodySize`: that caps a whole body (a WebSocket carries any number of
 * messages), and still caps the body of a refused upgrade.
 *
 * Default: 100 MiB.
 *
 * @example
 * ```ts
 * const s = new AsyncSession({ maxPayload: 2 ** 20 });    // 1 MiB a message
 * const r = await s.get('wss://feed.example/', { maxPayload: 64 * 2 ** 20 });  // this one: 64 MiB
 * ```
 */
export type MaxPayloadInit = number | null;

/** The default {@link MaxPayloadInit}: 100 MiB, as the `ws` package's own clients. */
export const DEFAULT_MAX_PAYLOAD = 100 * 2 ** 20;

/** Settings of a {@link Session} or {@link AsyncSession}. */
export interface SessionOptions {
  /**
   * Send every request to this app, in process, instead of over the network (see "Testing
   * your app" in the README): a Node request listener `(req, res)` (Express, Koa's
   * `app.callback()`, a bare handler), an `http.Server`, an object with a `fetch(request)`
   * method (Hono; a bare fetch handler goes as `{ fetch: handler }`), or, for a sync
   * `Session` (whose blocked thread cannot run an app), a module specifier
   * `'file:///…/app.js#export'` (default export when none) that the transport workers load.
   * Any host reaches the app; relative URLs go to `http://localhost`. Pools, HTTP versions,
   * proxies, TLS and DNS options do not apply.
   * @example
   * ```ts
   * await using s = new AsyncSession({ app: expressApp });
   * const r = await s.post('/login', { json: { user: 'ann' } });
   * ```
   */
  app?: AppInit;
  /**
   * Return lazy responses at once and let requests run concurrently; resolve them on first
   * access (sync) or with `gather()`.
   * @example
   * ```ts
   * const s = new Session({ multiplexed: true });
   * const rs = [s.get(a), s.get(b)];
   * s.gather();
   * ```
   */
  multiplexed?: boolean;
  /** How many origins keep a connection pool. Default 10. */
  poolConnections?: number;
  /** Connections kept per origin. Default 10. */
  poolMaxsize?: number;
  /**
   * Transport worker threads, 1 to 64. Default: `os.availableParallelism()`. Each carries
   * thousands of connections; more threads only cost memory (10 MiB of rings each, plus a heap).
   */
  workers?: number;
  /** Prefix for relative URLs: `new Session({ baseUrl: 'http://h/api' }).get('/users')`. */
  baseUrl?: string | null;
  /** Headers sent with every request (request headers win; `null` removes one). */
  headers?: HeadersInit | null;
  /** Default timeout for the session's requests; see {@link TimeoutInit}. */
  timeout?: TimeoutInit;
  /** Idle keep-alive connections are closed after this long (ms). Default 60 000. */
  keepaliveDelay?: number;
  /** Cookies to start with: a record, pairs or a `CookieJar`. The session keeps what servers set. */
  cookies?: CookiesInit | null;
  /** Credentials for every request (a request's own `auth` wins). */
  auth?: AuthInit | null;
  /** Query parameters added to every request. */
  params?: ParamsInit | null;
  /** Hooks for every request; see {@link HooksInit}. */
  hooks?: HooksInit | null;
  /** Retries: a count, or a policy; see {@link RetryInit}. Default 0. */
  retries?: number | boolean | RetryInit | null;
  /** Redirects followed before `TooManyRedirects`. Default 30. */
  maxRedirects?: number;
  /** Store cookies that servers set in the session's jar. Default true. */
  allowIncomingCookies?: boolean;
  /**
   * Headers that carry credentials, dropped on a redirect to another host, port or scheme,
   * as `Authorization` is (`Proxy-Authorization` is dropped on every redirect). A request's
   * own list adds to the session's.
   * @example
   * ```ts
   * const s = new Session({ sensitiveHeaders: ['X-Api-Key'] });
   * s.get('https://api.example.test/', { headers: { 'X-Api-Key': key } }); // not sent on to another host
   * ```
   */
  sensitiveHeaders?: readonly string[];
  /** Read `.netrc` and the environment. Default true. */
  trustEnv?: boolean;
  /** TLS verification: true, false, a CA bundle (path or PEM), or `sha256_<hex>` to pin the server's certificate. */
  verify?: VerifyInit;
  /** A client certificate: a PEM path holding both, `[cert, key]`, or `{ cert, key, passphrase }`. */
  cert?: CertInit | null;
  /** Never speak HTTP/1.1: https must negotiate h2; http:// uses h2c with prior knowledge. */
  disableHttp1?: boolean;
  /** Never speak HTTP/2 (no h2 in ALPN). */
  disableHttp2?: boolean;
  /**
   * `false`: an https origin goes over HTTP/3 (QUIC) once a response announced it
   * (`Alt-Svc: h3=…`, for its `ma`), when the optional QUIC layer (`@matrixai/quic`) loads
   * here. `true`: never HTTP/3, not even for `http3Origins`. Unset (the default): only the
   * `http3Origins`; the QUIC layer carries about 5 MB/s (README, HTTP/3), too little to
   * follow every CDN's Alt-Svc by default.
   */
  disableHttp3?: boolean;
  /**
   * Origins known to speak HTTP/3 on their own port (Niquests' preemptive form): their first
   * request goes over QUIC, and over TCP if the QUIC handshake fails. E.g. `['https://example.com']`.
   */
  http3Origins?: readonly string[];
  /** Proxies by scheme or `scheme://host`; see {@link ProxiesInit}. Environment proxies apply under `trustEnv`. */
  proxies?: ProxiesInit | null;
  /**
   * Name resolution, in the transport workers: a resolver URL or a list tried in order,
   * `<proto>[+<provider>]://[user:pass@]<host>[:port][/path][?k=v]` with `system`, `dou`
   * (UDP), `dot` (TLS), `doh` (HTTPS), `in-memory` (`?hosts=name:ip`) and `null`; providers
   * `google`, `cloudflare`, `quad9`, `adguard`, `opendns`, `nextdns`; parameters `timeout`
   * (seconds), `verify` (`false`, a CA path, `sha256_<hex>`), `hosts`, `source_address`.
   * `NODEQUESTS_DNS_URL` under `trustEnv`. Default: the system's.
   * @example
   * ```ts
   * new AsyncSession({ resolver: ['dou://10.0.0.53/?hosts=*.corp.internal', 'doh+cloudflare://'] });
   * ```
   */
  resolver?: string | readonly string[] | null;
  /**
   * Connect to a host's addresses several at once (IPv6 and IPv4 interleaved), the first to
   * answer wins: `true` (2 at once) or how many. Default: one after another.
   */
  happyEyeballs?: boolean | number;
  /** Never connect over IPv4. */
  disableIpv4?: boolean;
  /** Never connect over IPv6. */
  disableIpv6?: boolean;
  /** The most a response body may be; see {@link MaxBodySizeInit}. */
  maxBodySize?: MaxBodySizeInit;
  /** The largest WebSocket message taken; see {@link MaxPayloadInit}. */
  maxPayload?: MaxPayloadInit;
  /** Browser build: whether requests carry the browser's cookies; see {@link CredentialsInit}. */
  credentials?: CredentialsInit;
}

/**
 * Browser build only: whether the browser sends its cookies (and HTTP auth) and keeps the
 * cookies responses set, as fetch's `credentials`. Default `'same-origin'`. Node keeps
 * cookies in the session's jar instead, and ignores this.
 *
 * @example
 * ```ts
 * const s = new AsyncSession({ credentials: 'include' }); // cross-origin cookies too (CORS must allow it)
 * ```
 */
export type CredentialsInit = 'omit' | 'same-origin' | 'include';

/** Settings of one request. */
export interface RequestOptions {
  /** Query parameters: a record (arrays repeat the key, null drops it), pairs, URLSearchParams or a string. */
  params?: ParamsInit | null;
  /** Headers for this request, merged over the session's (`null` removes one). */
  headers?: HeadersInit | null;
  /**
   * The body: a string or bytes (sent as given), a record or pairs (form-encoded, or
   * multipart when Content-Type says so), or a Blob, Readable or async iterable (streamed).
   */
  data?: unknown;
  /** A JSON body (`application/json`); ignored when `data` or `files` is given. */
  json?: unknown;
  /** Files for a multipart body: `{ field: content | [filename, content, contentType?, headers?] }`. */
  files?: unknown;
  /** Cookies for this request (all its hops); not stored in the session. */
  cookies?: CookiesInit | null;
  /** Credentials for this request; see {@link AuthInit}. */
  auth?: AuthInit | null;
  /** Follow redirects. Default true, except for HEAD. */
  allowRedirects?: boolean;
  /** Hooks for this request, after the session's. */
  hooks?: HooksInit | null;
  /**
   * Aborts the request (and its body) when signalled: the call ends with `RequestAborted`.
   * A signal already aborted fails the call before anything is sent.
   *
   * A sync call blocks the event loop, so while it waits no timer or message can abort a
   * signal. What a sync call still honours: a signal aborted by code that runs during the
   * call (a hook), and the deadline of a signal made by `AbortSignal.timeout(ms)` or
   * `AbortSignal.any([...])` over one (nodequests notes their deadlines when they are made,
   * once it is loaded). Any other signal can only abort a sync call before it starts; use
   * `timeout: { total: ms }` for a deadline that holds everywhere, body reading included.
   *
   * @example
   * ```ts
   * await s.get(url, { signal: controller.signal });         // AsyncSession: any signal
   * new Session().get(url, { signal: AbortSignal.timeout(2_000) }); // sync: ends after ~2 s
   * ```
   */
  signal?: AbortSignal | null;
  /** TLS verification for this request; see {@link SessionOptions.verify}. */
  verify?: VerifyInit;
  /** A client certificate for this request; see {@link SessionOptions.cert}. */
  cert?: CertInit | null;
  /** Proxies for this request, over the session's; see {@link ProxiesInit}. */
  proxies?: ProxiesInit | null;
  /** More headers to drop on a redirect to another origin; see {@link SessionOptions.sensitiveHeaders}. */
  sensitiveHeaders?: readonly string[];
  /** See {@link TimeoutInit}. Default 30 000 ms for GET, HEAD and OPTIONS, 120 000 ms for the rest. */
  timeout?: TimeoutInit;
  /**
   * Do not read the body before returning: read it with `iterContent()`, `iterLines()` or
   * `content`. The worker keeps at most a window of it ahead of you.
   */
  stream?: boolean;
  /** The most this response's body may be, over the session's; see {@link MaxBodySizeInit}. */
  maxBodySize?: MaxBodySizeInit;
  /** The largest message of this WebSocket, over the session's; see {@link MaxPayloadInit}. */
  maxPayload?: MaxPayloadInit;
  /** Browser build: this request's {@link CredentialsInit}, over the session's. */
  credentials?: CredentialsInit;
  /**
   * A function run on the decoded body inside the transport worker, named as a module and an
   * export: `'file:///…/extract.js#title'` (without `#…`: the default export). It gets
   * `(body: Uint8Array, response: { url, status, headers })` and returns (or resolves to) a
   * structured-cloneable result, which is all that crosses to this thread: read it as
   * `response.result`. A processor that throws, or whose result cannot be cloned, fails the
   * call with `ProcessorError`; one that runs past `processorTimeout` is stopped and fails
   * it with `ProcessorTimeout`. Several processors (an array) run in turn on the same body
   * and give an array of results. Processors run one at a time per transport worker, in a
   * thread of their own. A bare package name is resolved from nodequests' own install.
   * Not with `stream: true`.
   *
   * @example
   * ```ts
   * const r = await s.get(url, { processor: new URL('./title.js#title', import.meta.url).href });
   * console.log(r.result);
   * ```
   */
  processor?: string | readonly string[] | null;
  /** How long one processor call may run, ms. Default 30 000. */
  processorTimeout?: number;
}

/** A time limit per phase, in ms; 0 means none. */
export interface Timeouts {
  connect: number;
  read: number;
  total: number;
}

/** What the `app` option takes: see {@link SessionOptions.app}. */
export type AppInit = NodeListener | FetchApp | Server | string;

export interface NormalizedSessionOptions {
  app: AppSpec | null;
  multiplexed: boolean;
  poolConnections: number;
  poolMaxsize: number;
  workers: number | undefined;
  baseUrl: string | null;
  headers: Headers;
  timeout: Timeouts | null;
  keepaliveDelay: number;
  cookies: CookieJar;
  auth: AuthBase | null;
  params: ParamsInit | null;
  hooks: Hooks;
  retries: RetryPolicy;
  maxRedirects: number;
  allowIncomingCookies: boolean;
  /** Lower case. */
  sensitiveHeaders: readonly string[];
  trustEnv: boolean;
  tls: TlsConfig;
  http1: boolean;
  http2: boolean;
  /** Alt-Svc announcements of h3 are followed (`disableHttp3: false`). */
  http3: boolean;
  /** `https://host[:port]` origins to reach over HTTP/3 from the first request. */
  http3Origins: readonly string[];
  proxies: Record<string, string | null>;
  /** Proxies from the environment, read when the session was made (empty without trustEnv). */
  envProxies: Record<string, string | null>;
  resolver: ResolverSpec[];
  happyEyeballs: number;
  ipv4: boolean;
  ipv6: boolean;
  /** Bytes, Infinity for none; undefined: not set (the default applies). */
  maxBodySize: number | undefined;
  /** Bytes, Infinity for none; undefined: not set (the default applies). */
  maxPayload: number | undefined;
  credentials: CredentialsInit;
}

const MAX_WORKERS = 64;

export const SESSION_DEFAULTS = {
  multiplexed: false,
  poolConnections: 10,
  poolMaxsize: 10,
  keepaliveDelay: 60_000,
  maxRedirects: 30,
  allowIncomingCookies: true,
  trustEnv: true,
} as const;

const QUICK_TIMEOUTS: Timeouts = Object.freeze({ connect: 30_000, read: 30_000, total: 0 });
const SLOW_TIMEOUTS: Timeouts = Object.freeze({ connect: 120_000, read: 120_000, total: 0 });

/** Requests' defaults: quick methods get 30 s, methods that may carry big uploads 120 s. Frozen, shared. */
export function defaultTimeouts(method: string): Timeouts {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? QUICK_TIMEOUTS : SLOW_TIMEOUTS;
}

// Adding a session option without normalising it fails to compile here.
const SESSION_KEYS: Record<keyof SessionOptions, true> = {
  app: true,
  multiplexed: true,
  poolConnections: true,
  poolMaxsize: true,
  workers: true,
  baseUrl: true,
  headers: true,
  timeout: true,
  keepaliveDelay: true,
  cookies: true,
  auth: true,
  params: true,
  hooks: true,
  retries: true,
  maxRedirects: true,
  allowIncomingCookies: true,
  sensitiveHeaders: true,
  trustEnv: true,
  verify: true,
  cert: true,
  disableHttp1: true,
  disableHttp2: true,
  disableHttp3: true,
  http3Origins: true,
  proxies: true,
  resolver: true,
  happyEyeballs: true,
  disableIpv4: true,
  disableIpv6: true,
  maxBodySize: true,
  maxPayload: true,
  credentials: true,
};
const REQUEST_KEYS: Record<keyof RequestOptions, true> = {
  params: true,
  headers: true,
  data: true,
  json: true,
  files: true,
  cookies: true,
  auth: true,
  timeout: true,
  allowRedirects: true,
  stream: true,
  hooks: true,
  signal: true,
  verify: true,
  cert: true,
  proxies: true,
  maxBodySize: true,
  maxPayload: true,
  sensitiveHeaders: true,
  credentials: true,
  processor: true,
  processorTimeout: true,
};

/** `sync`: for a `Session`, which can only call a module app (loaded in the workers). */
export function normalizeSessionOptions(opts: SessionOptions | undefined, sync = false): NormalizedSessionOptions {
  const o = checkObject(opts, 'Session options', SESSION_KEYS);
  const trustEnv = normalizeTrustEnv(o.trustEnv);
  const app = normalizeApp(o.app, sync);
  return {
    app,
    multiplexed: checkBoolean(o.multiplexed, 'multiplexed') ?? SESSION_DEFAULTS.multiplexed,
    poolConnections: checkCount(o.poolConnections, 'poolConnections') ?? SESSION_DEFAULTS.poolConnections,
    poolMaxsize: checkCount(o.poolMaxsize, 'poolMaxsize') ?? SESSION_DEFAULTS.poolMaxsize,
    workers: checkCount(o.workers, 'workers', MAX_WORKERS),
    // Relative URLs reach an app without a base of the user's.
    baseUrl: normalizeBaseUrl(o.baseUrl) ?? (app !== null ? 'http://localhost' : null),
    headers: normalizeSessionHeaders(o.headers),
    timeout: normalizeSessionTimeout(o.timeout),
    keepaliveDelay: checkDuration(o.keepaliveDelay, 'keepaliveDelay') ?? SESSION_DEFAULTS.keepaliveDelay,
    cookies: normalizeSessionCookies(o.cookies),
    auth: normalizeAuth(o.auth),
    params: normalizeSessionParams(o.params),
    hooks: normalizeHooks(o.hooks),
    retries: normalizeRetries(o.retries),
    maxRedirects: normalizeMaxRedirects(o.maxRedirects),
    allowIncomingCookies: checkBoolean(o.allowIncomingCookies, 'allowIncomingCookies') ?? SESSION_DEFAULTS.allowIncomingCookies,
    sensitiveHeaders: normalizeHeaderNames(o.sensitiveHeaders, 'sensitiveHeaders'),
    trustEnv,
    tls: normalizeTls(o.verify, o.cert, trustEnv),
    ...normalizeProtocols(o),
    proxies: normalizeProxies(o.proxies),
    envProxies: envProxiesOf(trustEnv),
    resolver: normalizeResolver(o.resolver, process.env, trustEnv),
    ...normalizeAddressing(o),
    maxBodySize: checkByteLimit(o.maxBodySize, 'maxBodySize', 0),
    maxPayload: checkByteLimit(o.maxPayload, 'maxPayload', 1),
    credentials: checkCredentials(o.credentials) ?? 'same-origin',
  };
}

// The session settings that are also attributes (`s.timeout = 5_000`): the constructor and
// the setters normalise them with the same functions.

function normalizeApp(v: unknown, sync: boolean): AppSpec | null {
  if (v === undefined || v === null) return null;
  const app = appOf(v);
  if (typeof app === 'string') throw new InvalidOption(`Invalid option app: ${describe(v)} ${app}`);
  if (sync && app.kind !== 'module') {
    throw new InvalidOption(
      `A synchronous Session cannot call an app given as ${typeof v === 'function' ? 'a function' : 'an object'}: the session blocks this thread while it waits, so an app on this thread could never answer. Give the app as a module the transport workers load, e.g. new Session({ app: pathToFileURL('./app.js').href + '#app' }) (the export's name after '#', the default export without one), or use an AsyncSession`,
    );
  }
  return app;
}

export function normalizeBaseUrl(v: unknown): string | null {
  return v == null ? null : checkString(v, 'baseUrl');
}

export function normalizeSessionHeaders(v: HeadersInit | null | undefined): Headers {
  return new Headers(v ?? undefined);
}

/** A jar is kept as given (the user may hold on to it); anything else fills a new one. */
export function normalizeSessionCookies(v: CookiesInit | null | undefined): CookieJar {
  return v instanceof CookieJar ? v : CookieJar.from(v ?? undefined);
}

/** Checked here (shape and values) so that a bad value fails when set, not at the next request. */
export function normalizeSessionParams(v: ParamsInit | null | undefined): ParamsInit | null {
  if (v === undefined || v === null) return null;
  encodeParams(v);
  return v;
}

/** `undefined`: the per-method defaults; `null`: no limit. */
export function normalizeSessionTimeout(v: TimeoutInit | undefined): Timeouts | null {
  return v === undefined ? null : normalizeTimeout(v, 'timeout');
}

export function normalizeMaxRedirects(v: unknown): number {
  return checkWhole(v, 'maxRedirects') ?? SESSION_DEFAULTS.maxRedirects;
}

export function normalizeTrustEnv(v: unknown): boolean {
  return checkBoolean(v, 'trustEnv') ?? SESSION_DEFAULTS.trustEnv;
}

/** Proxies from the environment, which only a session that trusts it reads. */
export function envProxiesOf(trustEnv: boolean): Record<string, string | null> {
  return trustEnv ? proxiesFromEnv() : {};
}

function normalizeAddressing(o: Partial<SessionOptions>): { happyEyeballs: number; ipv4: boolean; ipv6: boolean } {
  const ipv4 = !checkBoolean(o.disableIpv4, 'disableIpv4');
  const ipv6 = !checkBoolean(o.disableIpv6, 'disableIpv6');
  if (!ipv4 && !ipv6) throw new InvalidOption('disableIpv4 and disableIpv6 together leave no address family to connect over');
  const he = o.happyEyeballs;
  if (he !== undefined && typeof he !== 'boolean' && (typeof he !== 'number' || !Number.isInteger(he) || he < 1)) {
    throw new InvalidOption(`Invalid option happyEyeballs: ${describe(he)}; expected true, false or a whole number >= 1`);
  }
  return { happyEyeballs: he === true ? 2 : he === false || he === undefined ? 0 : he, ipv4, ipv6 };
}

function normalizeProtocols(o: Partial<SessionOptions>): { http1: boolean; http2: boolean; http3: boolean; http3Origins: readonly string[] } {
  const http1 = !checkBoolean(o.disableHttp1, 'disableHttp1');
  const http2 = !checkBoolean(o.disableHttp2, 'disableHttp2');
  const disableHttp3 = checkBoolean(o.disableHttp3, 'disableHttp3');
  if (!http1 && !http2) {
    // HTTP/3 is found through an HTTP/1.1 or HTTP/2 answer (Alt-Svc), and falls back to them.
    throw new InvalidOption('disableHttp1 and disableHttp2 together leave no protocol to speak (HTTP/3 needs one of them to fall back on)');
  }
  const http3Origins = normalizeHttp3Origins(o.http3Origins);
  return { http1, http2, http3: disableHttp3 === false, http3Origins: disableHttp3 === true ? [] : http3Origins };
}

function normalizeHttp3Origins(v: unknown): readonly string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidOption(`Invalid option http3Origins: ${describe(v)}; expected a list of https origins`);
  return v.map((item: unknown) => {
    let url: URL | null = null;
    try {
      url = typeof item === 'string' ? new URL(item) : null;
    } catch {
      // named below
    }
    if (url === null || url.protocol !== 'https:') throw new InvalidOption(`Invalid option http3Origins: ${describe(item)}; expected an https origin such as 'https://example.com'`);
    return url.origin;
  });
}

export interface NormalizedRequestOptions {
  params: ParamsInit | null;
  headers: HeadersInit | null;
  /** The body options, encoded by request/body.ts (which checks them). */
  data: unknown;
  json: unknown;
  files: unknown;
  cookies: CookieJar | null;
  /** `undefined`: the session's; `null`: none at all. */
  auth: AuthBase | null | undefined;
  timeout: Timeouts | null;
  allowRedirects: boolean | undefined;
  stream: boolean;
  hooks: Hooks;
  signal: AbortSignal | null;
  /** TLS for this request when it differs from the session's: `verify`/`cert` as given, normalised by the session. */
  verify: VerifyInit | undefined;
  cert: CertInit | null | undefined;
  proxies: Record<string, string | null>;
  /** Bytes, Infinity for none; undefined: the session's. */
  maxBodySize: number | undefined;
  /** Bytes, Infinity for none; undefined: the session's. */
  maxPayload: number | undefined;
  /** Lower case. */
  sensitiveHeaders: readonly string[];
  /** undefined: the session's. */
  credentials: CredentialsInit | undefined;
  processor: { spec: string; timeoutMs: number } | null;
}

/** How long one processor call may run by default, ms. */
export const DEFAULT_PROCESSOR_TIMEOUT = 30_000;

const NO_OPTIONS: NormalizedRequestOptions = Object.freeze({
  params: null,
  headers: null,
  data: undefined,
  json: undefined,
  files: undefined,
  cookies: null,
  auth: undefined,
  timeout: null,
  allowRedirects: undefined,
  stream: false,
  hooks: normalizeHooks(null),
  signal: null,
  verify: undefined,
  cert: undefined,
  proxies: {},
  maxBodySize: undefined,
  maxPayload: undefined,
  sensitiveHeaders: [],
  credentials: undefined,
  processor: null,
});

export function normalizeRequestOptions(opts: RequestOptions | undefined): NormalizedRequestOptions {
  if (opts === undefined || opts === null) return NO_OPTIONS;
  const o = checkObject(opts, 'Request options', REQUEST_KEYS);
  if (o.signal != null && !(o.signal instanceof AbortSignal)) throw new InvalidOption(`Invalid option signal: ${describe(o.signal)}; expected an AbortSignal`);
  return {
    params: o.params ?? null,
    headers: o.headers ?? null,
    data: o.data,
    json: o.json,
    files: o.files,
    // A jar now, so a bad cookie fails here and the session merges a checked jar.
    cookies: o.cookies == null ? null : o.cookies instanceof CookieJar ? o.cookies : CookieJar.from(o.cookies),
    auth: o.auth === undefined ? undefined : normalizeAuth(o.auth),
    timeout: o.timeout === undefined ? null : normalizeTimeout(o.timeout, 'timeout'),
    allowRedirects: checkBoolean(o.allowRedirects, 'allowRedirects'),
    stream: checkBoolean(o.stream, 'stream') ?? false,
    // Shared when the request has none, so the call plan can use the session's as they are.
    hooks: o.hooks == null ? NO_OPTIONS.hooks : normalizeHooks(o.hooks),
    signal: o.signal ?? null,
    verify: o.verify,
    cert: o.cert,
    proxies: normalizeProxies(o.proxies),
    maxBodySize: checkByteLimit(o.maxBodySize, 'maxBodySize', 0),
    maxPayload: checkByteLimit(o.maxPayload, 'maxPayload', 1),
    sensitiveHeaders: normalizeHeaderNames(o.sensitiveHeaders, 'sensitiveHeaders'),
    credentials: checkCredentials(o.credentials),
    processor: normalizeProcessor(o.processor, o.processorTimeout, o.stream === true),
  };
}

/**
 * A processor is loaded in a worker, where a relative path would mean nothing sure: it must
 * be an absolute URL (`file:`, `data:`…) or a bare package name.
 */
function normalizeProcessor(spec: unknown, timeout: unknown, stream: boolean): NormalizedRequestOptions['processor'] {
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout))) {
    throw new InvalidOption(`Invalid option processorTimeout: ${describe(timeout)}; expected a number of ms > 0`);
  }
  if (spec == null) return null;
  const specs = Array.isArray(spec) ? (spec as unknown[]) : [spec];
  if (specs.length === 0) throw new InvalidOption('Invalid option processor: an empty array; expected at least one module#export');
  for (const one of specs) {
    if (typeof one !== 'string' || one === '' || one.startsWith('#') || one.includes('\n')) {
      throw new InvalidOption(`Invalid option processor: ${describe(one)}; expected 'module#export' (a file: URL or a package name)`);
    }
    const module = one.split('#')[0]!;
    if (module.startsWith('.') || module.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(module)) {
      throw new InvalidOption(`Invalid option processor: ${describe(one)}; a path is resolved in the worker, so pass a file: URL (url.pathToFileURL(path).href)`);
    }
  }
  if (stream) throw new InvalidOption('The option processor cannot be used with stream: true (the worker reads the whole body to run it)');
  return { spec: specs.join('\n'), timeoutMs: (timeout as number | undefined) ?? DEFAULT_PROCESSOR_TIMEOUT };
}

/** The body limit of a call: the request's, the session's, or the default for how it is read. */
export function effectiveMaxBodySize(request: NormalizedRequestOptions, session: NormalizedSessionOptions): number {
  return request.maxBodySize ?? session.maxBodySize ?? (request.stream ? Infinity : DEFAULT_MAX_BODY_SIZE);
}

/** The WebSocket message limit of a call: the request's, the session's, or the default. */
export function effectiveMaxPayload(request: NormalizedRequestOptions, session: NormalizedSessionOptions): number {
  return request.maxPayload ?? session.maxPayload ?? DEFAULT_MAX_PAYLOAD;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A list of header names, lower-cased. */
function normalizeHeaderNames(v: unknown, name: string): readonly string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((h) => typeof h === 'string' && TOKEN.test(h))) {
    throw new InvalidOption(`Invalid option ${name}: ${describe(v)}; expected a list of header names`);
  }
  return v.map((h: string) => h.toLowerCase());
}

/** `null` means no limit at all; a number applies to connect and to each read. */
export function normalizeTimeout(t: TimeoutInit, name: string): Timeouts {
  if (t === null) return { connect: 0, read: 0, total: 0 };
  if (typeof t === 'number') {
    const ms = checkDuration(t, name)!;
    return { connect: ms, read: ms, total: 0 };
  }
  if (typeof t === 'object') {
    for (const k of Object.keys(t)) {
      if (k !== 'connect' && k !== 'read' && k !== 'total') throw new InvalidOption(`Unknown field ${name}.${k}: expected connect, read or total`);
    }
    return {
      connect: checkDuration(t.connect ?? undefined, `${name}.connect`) ?? 0,
      read: checkDuration(t.read ?? undefined, `${name}.read`) ?? 0,
      total: checkDuration(t.total ?? undefined, `${name}.total`) ?? 0,
    };
  }
  throw new InvalidOption(`Invalid option ${name}: ${describe(t)}; expected milliseconds, null or { connect, read, total }`);
}

function checkObject<T extends object>(opts: T | undefined, what: string, keys: Record<string, true>): Partial<T> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object') throw new InvalidOption(`${what} must be an object, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!keys[k]) throw new InvalidOption(`Unknown option ${JSON.stringify(k)} in ${what}; known: ${Object.keys(keys).join(', ')}`);
  }
  return opts;
}

function checkBoolean(v: unknown, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new InvalidOption(`Invalid option ${name}: ${describe(v)}; expected true or false`);
  return v;
}

/** Settings of `AsyncSession.map`: how many at once and how, then those of each request. */
export interface MapOptions extends RequestOptions {
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
  /** Default GET. */
  method?: string;
}

/** Checks the options of `map` once, before anything is pulled from its input. */
export function normalizeMapOptions(opts: MapOptions | undefined): { concurrency: number; method: string; request: RequestOptions; processed: boolean } {
  const { concurrency, method, ...request } = opts ?? {};
  if (method !== undefined && (typeof method !== 'string' || method === '')) throw new InvalidOption(`Invalid option method: ${describe(method)}; expected an HTTP method`);
  const processed = normalizeRequestOptions(request).processor !== null;
  return { concurrency: checkCount(concurrency, 'concurrency') ?? 16, method: method ?? 'GET', request, processed };
}

function checkCount(v: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new InvalidOption(`Invalid option ${name}: ${describe(v)}; expected a whole number >= 1${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}`);
  }
  return v;
}

function checkWhole(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InvalidOption(`Invalid option ${name}: ${describe(v)}; expected a whole number >= 0`);
  return v;
}

/** A limit in bytes: a whole number >= `min`; null (or Infinity) for none. */
function checkByteLimit(v: unknown, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (v === null || v === Infinity) return Infinity;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new InvalidOption(`Invalid option ${name}: ${describe(v)}; expected a whole number of bytes >= ${min}, or null for no limit`);
  }
  return v;
}

function checkCredentials(v: unknown): CredentialsInit | undefined {
  if (v === undefined) return undefined;
  if (v !== 'omit' && v !== 'same-origin' && v !== 'include') {
    throw new InvalidOption(`Invalid option credentials: ${describe(v)}; expected 'omit', 'same-origin' or 'include'`);
  }
  return v;
}

function checkString(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new InvalidOption(`Invalid option ${name}: ${describe(v)}; expected a string`);
  return v;
}
