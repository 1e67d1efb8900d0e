/**
 * Authentication schemes: each is an object whose `apply(request)` adds what the scheme
 * needs to a prepared request, as Requests' `AuthBase.__call__` does. A scheme that must
 * answer a server's 401 challenge (Digest) also offers `challengeResponse`, which the
 * session calls once with the challenge before resending the request.
 *
 * @example
 * ```ts
 * s.get(url, { auth: ['user', 'pass'] });                    // Basic
 * s.get(url, { auth: 'my-token' });                          // Bearer
 * s.get(url, { auth: new HTTPDigestAuth('user', 'pass') });  // Digest, answers the 401
 * s.get(url, { auth: { apply: (r) => (r.headers.set('X-Key', k), r) } }); // custom
 * ```
 */
import { createHash, randomBytes } from 'node:crypto';
import { InvalidOption, describe } from './errors.js';
import type { PreparedRequest } from './request/prepared-request.js';

/**
 * What every auth scheme offers.
 *
 * @example
 * ```ts
 * const apiKey: AuthBase = { apply: (r) => (r.headers.set('X-Api-Key', key), r) };
 * ```
 */
export interface AuthBase {
  /** Adds credentials to the request (usually an Authorization header) and returns it. */
  apply(request: PreparedRequest): PreparedRequest;
  /**
   * For schemes that answer a challenge: the Authorization value for resending `request`
   * after a 401 with this `WWW-Authenticate`, or `null` when the scheme cannot answer it
   * (then the 401 is the response).
   */
  challengeResponse?(request: { method: string; url: string }, wwwAuthenticate: string): string | null;
}

/**
 * HTTP Basic (RFC 7617). User and password are sent as UTF-8.
 *
 * @example
 * ```ts
 * s.get('https://httpbin.org/basic-auth/u/p', { auth: new HTTPBasicAuth('u', 'p') });
 * ```
 */
export class HTTPBasicAuth implements AuthBase {
  constructor(
    readonly username: string,
    readonly password: string,
  ) {}

  /** The Authorization header value. */
  get header(): string {
    return basicHeader(this.username, this.password);
  }

  apply(request: PreparedRequest): PreparedRequest {
    request.headers.set('Authorization', this.header);
    return request;
  }
}

/**
 * `Authorization: Bearer <token>` (RFC 6750).
 *
 * @example
 * ```ts
 * s.get(url, { auth: new BearerTokenAuth(process.env.API_TOKEN!) });
 * ```
 */
export class BearerTokenAuth implements AuthBase {
  constructor(readonly token: string) {}

  apply(request: PreparedRequest): PreparedRequest {
    request.headers.set('Authorization', `Bearer ${this.token}`);
    return request;
  }
}

/**
 * Options of {@link HTTPDigestAuth}.
 *
 * @example
 * ```ts
 * new HTTPDigestAuth('Mufasa', 'Circle of Life', { cnonce: () => 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' });
 * ```
 */
export interface DigestOptions {
  /** Makes the client nonce; random by default. Fix it only to reproduce a known exchange. */
  cnonce?: () => string;
}

interface DigestState {
  challenge: Record<string, string>;
  algorithm: DigestAlgorithm;
  nonceCount: number;
}

interface DigestAlgorithm {
  name: string;
  hash: string;
  session: boolean;
}

// RFC 7616 names (plus Requests' `SHA` and `SHA-512`) to node:crypto hashes.
const HASHES: Record<string, string> = {
  'MD5': 'md5',
  'SHA': 'sha1',
  'SHA-256': 'sha256',
  'SHA-512': 'sha512',
  'SHA-512-256': 'sha512-256',
};

/**
 * HTTP Digest (RFC 7616, and RFC 2617 servers without `qop`): MD5, SHA-256, SHA-512-256
 * and their `-sess` variants, `qop=auth`, `opaque`, `userhash`, and nonce counting.
 *
 * The first request goes without credentials; on its 401 the session calls
 * {@link HTTPDigestAuth.challengeResponse} and resends. Later requests reuse the nonce
 * (with the next `nc`) so they need no extra round trip until the server asks again.
 *
 * @example
 * ```ts
 * const auth = new HTTPDigestAuth('user', 'passwd');
 * s.get('https://httpbin.org/digest-auth/auth/user/passwd', { auth }).statusCode; // 200
 * ```
 */
export class HTTPDigestAuth implements AuthBase {
  #state: DigestState | null = null;
  readonly #cnonce: () => string;

  constructor(
    readonly username: string,
    readonly password: string,
    options: DigestOptions = {},
  ) {
    this.#cnonce = options.cnonce ?? (() => randomBytes(16).toString('hex'));
  }

  apply(request: PreparedRequest): PreparedRequest {
    // Once a challenge is known, answer it up front (as Requests does).
    if (this.#state) request.headers.set('Authorization', this.#build(request.method, request.url));
    return request;
  }

  /**
   * The Authorization value answering a `WWW-Authenticate` challenge for this request, or
   * `null` when it holds no Digest challenge this class supports (for instance only
   * `qop=auth-int`, or an unknown algorithm). With several challenges, the first usable
   * one wins, as RFC 7616 asks.
   *
   * @example
   * ```ts
   * const value = auth.challengeResponse({ method: 'GET', url }, r.headers.get('www-authenticate')!);
   * ```
   */
  challengeResponse(request: { method: string; url: string }, wwwAuthenticate: string): string | null {
    for (const { scheme, params } of parseChallenges(wwwAuthenticate)) {
      if (scheme.toLowerCase() !== 'digest' || !params.nonce) continue;
      const algorithm = digestAlgorithm(params.algorithm);
      if (!algorithm) continue;
      if (params.qop !== undefined && !qopList(params.qop).includes('auth')) continue;
      // The count restarts with each new nonce (a stale one included).
      const sameNonce = this.#state?.challenge.nonce === params.nonce;
      this.#state = { challenge: params, algorithm, nonceCount: sameNonce ? this.#state!.nonceCount : 0 };
      return this.#build(request.method, request.url);
    }
    return null;
  }

  #build(method: string, url: string): string {
    const state = this.#state!;
    const { challenge: c, algorithm } = state;
    const H = (s: string) => createHash(algorithm.hash).update(s, 'utf8').digest('hex');
    const realm = c.realm ?? '';
    const nonce = c.nonce!;
    const uri = requestUri(url);
    const qop = c.qop !== undefined ? 'auth' : null;
    state.nonceCount += 1;
    const nc = state.nonceCount.toString(16).padStart(8, '0');
    const cnonce = this.#cnonce();

    let ha1 = H(`${this.username}:${realm}:${this.password}`);
    if (algorithm.session) ha1 = H(`${ha1}:${nonce}:${cnonce}`);
    const ha2 = H(`${method}:${uri}`);
    const response = qop ? H(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : H(`${ha1}:${nonce}:${ha2}`);

    const fields: string[] = [];
    if (c.userhash?.toLowerCase() === 'true') fields.push(`username=${quote(H(`${this.username}:${realm}`))}`);
    // RFC 7616 3.4.4: a name that a quoted string cannot carry goes as an RFC 8187 value.
    else if (/[^\x20-\x7e]/.test(this.username)) fields.push(`username*=UTF-8''${encodeRfc8187(this.username)}`);
    else fields.push(`username=${quote(this.username)}`);
    fields.push(`realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `uri=${quote(uri)}`, `algorithm=${algorithm.name}`);
    fields.push(`response=${quote(response)}`);
    if (c.opaque !== undefined) fields.push(`opaque=${quote(c.opaque)}`);
    if (qop) fields.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
    if (c.userhash?.toLowerCase() === 'true') fields.push('userhash=true');
    return `Digest ${fields.join(', ')}`;
  }
}

/**
 * Turns the `auth` option into a scheme: `[user, password]` is Basic, a string is a
 * Bearer token, a function is called as `apply`, and an object with `apply` is used as is.
 * `null`/`undefined` means no auth.
 *
 * @throws InvalidOption naming the value otherwise.
 *
 * @example
 * ```ts
 * normalizeAuth(['u', 'p']);   // HTTPBasicAuth
 * normalizeAuth('t0ken');      // BearerTokenAuth
 * ```
 */
export function normalizeAuth(auth: unknown): AuthBase | null {
  if (auth === null || auth === undefined) return null;
  if (typeof auth === 'string') {
    if (auth === '') throw new InvalidOption('Invalid auth "": a bearer token cannot be empty');
    return new BearerTokenAuth(auth);
  }
  if (Array.isArray(auth)) {
    const [user, pass] = auth;
    if (auth.length === 2 && isCredential(user) && isCredential(pass)) return new HTTPBasicAuth(String(user), String(pass));
    throw new InvalidOption(`Invalid auth ${describe(auth)}: expected [user, password] as two strings`);
  }
  if (typeof auth === 'function') {
    const fn = auth as (r: PreparedRequest) => PreparedRequest | void;
    return { apply: (r) => fn(r) ?? r };
  }
  if (typeof auth === 'object' && typeof (auth as AuthBase).apply === 'function') return auth as AuthBase;
  throw new InvalidOption(
    `Invalid auth ${describe(auth)}: expected [user, password], a bearer token string, an HTTPDigestAuth or an object with apply(request)`,
  );
}

/**
 * The credentials in a URL (`http://user:pass@host/`), percent-decoded, or `null` when it
 * has none.
 *
 * @example
 * ```ts
 * authFromUrl(new URL('http://me:p%40ss@h/')); // ['me', 'p@ss']
 * ```
 */
export function authFromUrl(u: URL): [string, string] | null {
  if (!u.username && !u.password) return null;
  return [safeDecode(u.username), safeDecode(u.password)];
}

/**
 * One challenge of a `WWW-Authenticate` field: its scheme, its parameters (names in
 * lower case) and its token68.
 *
 * @example
 * ```ts
 * const c: AuthChallenge = { scheme: 'Basic', params: { realm: 'x' } };
 * ```
 */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

/**
 * Parses a `WWW-Authenticate` value (RFC 9110 11.6.1), which may hold several challenges
 * (`Basic realm="a", Digest realm="b", nonce="n"`), quoted strings unescaped.
 *
 * @example
 * ```ts
 * parseChallenges('Digest realm="r", qop="auth,auth-int", nonce="n"')[0].params.qop; // 'auth,auth-int'
 * ```
 */
export function parseChallenges(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  const s = header;
  let i = 0;
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = () => {
    const m = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(s.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  while (i < s.length) {
    ws();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const scheme = token();
    if (!scheme) {
      i++; // skip a stray character rather than loop forever
      continue;
    }
    const challenge: AuthChallenge = { scheme, params: {} };
    out.push(challenge);
    ws();
    // A token68 (`Negotiate abc==`) rather than auth-params: no `name=value` follows.
    const rest = s.slice(i);
    const t68 = /^[A-Za-z0-9\-._~+/]+=*/.exec(rest);
    if (t68 && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=[ \t]*["!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(rest)) {
      challenge.token68 = t68[0];
      i += t68[0].length;
      continue;
    }
    // auth-params until a token that is not followed by `=` (the next challenge's scheme).
    for (;;) {
      ws();
      const save = i;
      const name = token();
      ws();
      if (!name || s[i] !== '=') {
        i = save;
        break;
      }
      i++;
      ws();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else value = token();
      challenge.params[name.toLowerCase()] = value;
      ws();
      if (s[i] !== ',') break;
      i++;
    }
  }
  return out;
}

function basicHeader(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
}

function digestAlgorithm(name: string | undefined): DigestAlgorithm | null {
  const upper = (name ?? 'MD5').toUpperCase();
  const session = upper.endsWith('-SESS');
  const base = session ? upper.slice(0, -5) : upper;
  const hash = HASHES[base];
  // Echo the server's spelling of the algorithm, as RFC 7616 asks.
  return hash ? { name: name ?? 'MD5', hash, session } : null;
}

function qopList(qop: string): string[] {
  return qop.split(',').map((q) => q.trim().toLowerCase());
}

// The request-target: path and query, as on the request line.
function requestUri(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname || '/'}${u.search}`;
  } catch {
    return url;
  }
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function isCredential(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number';
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
