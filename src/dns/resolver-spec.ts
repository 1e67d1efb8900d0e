/**
 * The `resolver` option: URLs of the shared grammar
 * `<proto>[+<provider>]://[user:pass@]<host>[:port][/path][?k=v&...]`, parsed once on the main
 * thread into specs that cross to the workers as JSON. A list is tried in order.
 *
 * Protocols: `system` (the operating system's resolver, `dns.lookup`), `dou` (UDP, port 53,
 * TCP when an answer is truncated), `dot` (TLS, port 853), `doh` (HTTPS, RFC 8484 at
 * `/dns-query` by default; the JSON API when the path is `/resolve`), `in-memory` (a table
 * from `hosts=`) and `null` (resolves nothing). `doq` is refused: DNS over QUIC is not built.
 *
 * Query parameters: `timeout` (seconds), `verify` (`false`, a CA bundle path or
 * `sha256_<hex>`; dot and doh), `hosts` (`name:address` entries answer those names;
 * bare names, `*.suffix` wildcards among them, restrict the resolver to matching names),
 * `source_address` (the local address queries leave from) and `method` (`GET` or `POST`, doh).
 *
 * @example
 * ```ts
 * new Session({ resolver: 'in-memory://default/?hosts=api.test:127.0.0.1,api.test:[::1]' });
 * new Session({ resolver: ['dou://10.0.0.53/?hosts=*.corp.internal', 'doh+cloudflare://'] });
 * ```
 */
import { isIP } from 'node:net';
import { InvalidOption, describe } from '../errors.js';
import { normalizeTls } from '../session/tls.js';
import type { TlsConfig } from '../channel/tls-profile.js';

export type ResolverProtocol = 'system' | 'in-memory' | 'null' | 'dou' | 'dot' | 'doh';

export interface ResolverSpec {
  protocol: ResolverProtocol;
  /** How the resolver is named in messages and `connInfo`: the URL without credentials or query. */
  name: string;
  /** The server (dou, dot, doh): a name or an address, and its port. */
  host: string;
  port: number;
  /** doh: the path, and whether it is the JSON API (`/resolve`). */
  path: string;
  json: boolean;
  /** doh: GET (`?dns=`) or POST (the default). */
  method: 'GET' | 'POST';
  /** doh: `user:pass` sent as Basic credentials, or null. */
  credentials: string | null;
  /** Static answers: host name (lower case) to addresses, in the order given. */
  hosts: Record<string, string[]>;
  /** When not empty, the only names this resolver is asked for: exact names or `*.suffix`. */
  only: string[];
  /** How long one lookup may take through this resolver, ms (0: the system's own limit). */
  timeout: number;
  /** dot, doh: the TLS profile the server is checked with. */
  tls: TlsConfig | null;
  /** The local address queries leave from, or null. */
  sourceAddress: string | null;
}

/** A network resolver's timeout when its URL gives none, ms. */
export const DEFAULT_RESOLVER_TIMEOUT = 5000;

const DEFAULT_PORTS = { dou: 53, dot: 853, doh: 443 } as const;

/** The public endpoints the providers document (names for dot and doh, addresses for dou). */
const PROVIDERS: Record<string, { dou: string; dot: string; doh: string }> = {
  google: { dou: '8.8.8.8', dot: 'dns.google', doh: 'dns.google' },
  cloudflare: { dou: '1.1.1.1', dot: 'one.one.one.one', doh: 'cloudflare-dns.com' },
  quad9: { dou: '9.9.9.9', dot: 'dns.quad9.net', doh: 'dns.quad9.net' },
  adguard: { dou: '94.140.14.14', dot: 'dns.adguard-dns.com', doh: 'dns.adguard-dns.com' },
  opendns: { dou: '208.67.222.222', dot: 'dns.opendns.com', doh: 'doh.opendns.com' },
  nextdns: { dou: '45.90.28.0', dot: 'dns.nextdns.io', doh: 'dns.nextdns.io' },
};

const PARAMETERS = new Set(['timeout', 'verify', 'hosts', 'source_address', 'method']);
const PROTOCOLS = 'system, dou, dot, doh, in-memory or null';

export function normalizeResolver(init: string | readonly string[] | null | undefined, env: NodeJS.ProcessEnv, trustEnv: boolean): ResolverSpec[] {
  const given = init ?? (trustEnv ? env.NODEQUESTS_DNS_URL : undefined);
  if (given === undefined || given === null) return [parseResolverUrl('system://', env, trustEnv)];
  const list = typeof given === 'string' ? [given] : given;
  if (!Array.isArray(list) || list.length === 0) throw new InvalidOption(`Invalid option resolver: ${describe(given)}; expected a resolver URL or a list of them`);
  return list.map((text) => parseResolverUrl(text, env, trustEnv));
}

export function parseResolverUrl(text: string, env: NodeJS.ProcessEnv = process.env, trustEnv = true): ResolverSpec {
  if (typeof text !== 'string') throw new InvalidOption(`Invalid resolver ${describe(text)}: expected a URL such as "system://" or "doh+cloudflare://"`);
  const bad = (part: string): InvalidOption => new InvalidOption(`Resolver ${JSON.stringify(text)}: ${part}`);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad('not a URL of the form <proto>[+<provider>]://[user:pass@]<host>[:port][/path][?k=v]');
  }
  const [proto, provider, ...extra] = u.protocol.slice(0, -1).toLowerCase().split('+');
  if (proto === 'doq') throw bad('doq (DNS over QUIC) is not built in nodequests; use dot or doh');
  if (proto !== 'system' && proto !== 'in-memory' && proto !== 'null' && proto !== 'dou' && proto !== 'dot' && proto !== 'doh') {
    throw bad(`unknown protocol ${JSON.stringify(proto)} (expected ${PROTOCOLS})`);
  }
  const network = proto === 'dou' || proto === 'dot' || proto === 'doh';
  if (extra.length > 0 || (provider !== undefined && !network)) throw bad(`${JSON.stringify(u.protocol.slice(0, -1))}: only dou, dot and doh take a provider`);
  if (provider !== undefined && !(provider in PROVIDERS)) throw bad(`unknown provider ${JSON.stringify(provider)} (expected ${Object.keys(PROVIDERS).join(', ')})`);
  for (const key of u.searchParams.keys()) {
    if (!PARAMETERS.has(key)) throw bad(`unknown parameter ${JSON.stringify(key)} (expected ${[...PARAMETERS].join(', ')})`);
  }

  const spec: ResolverSpec = {
    protocol: proto,
    name: `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`,
    host: '',
    port: 0,
    path: '',
    json: false,
    method: 'POST',
    credentials: null,
    hosts: {},
    only: [],
    timeout: network ? DEFAULT_RESOLVER_TIMEOUT : 0,
    tls: null,
    sourceAddress: null,
  };
  const seconds = u.searchParams.get('timeout');
  if (seconds !== null) {
    const ms = Number(seconds) * 1000;
    if (seconds.trim() === '' || !Number.isFinite(ms) || ms <= 0) throw bad(`timeout ${JSON.stringify(seconds)} must be a number of seconds > 0`);
    spec.timeout = ms;
  }
  parseHosts(u.searchParams.get('hosts'), spec, bad);
  if (!network) {
    for (const key of ['verify', 'source_address', 'method']) if (u.searchParams.has(key)) throw bad(`${key} applies to dou, dot and doh only`);
    if (u.username || u.port) throw bad(`${proto} takes no credentials or port`);
    return spec;
  }

  const given = u.hostname.replace(/^\[|\]$/g, '');
  const host = given === '' || given === 'default' ? (provider ? PROVIDERS[provider]![proto] : '') : given;
  if (host === '') throw bad(`${proto} needs a server: ${proto}://<host>[:port] or ${proto}+<provider>://`);
  spec.host = host;
  spec.port = u.port ? Number(u.port) : DEFAULT_PORTS[proto];
  if (proto === 'doh') {
    spec.path = u.pathname === '/' || u.pathname === '' ? '/dns-query' : u.pathname;
    spec.json = spec.path === '/resolve';
    const method = (u.searchParams.get('method') ?? 'POST').toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw bad(`method ${JSON.stringify(method)} must be GET or POST`);
    spec.method = method;
    if (u.username) spec.credentials = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  } else {
    if (u.pathname !== '/' && u.pathname !== '') throw bad(`${proto} takes no path (${JSON.stringify(u.pathname)})`);
    if (u.searchParams.has('method')) throw bad('method applies to doh only');
    if (u.username) throw bad(`credentials apply to doh only`);
  }
  const source = u.searchParams.get('source_address');
  if (source !== null) {
    const address = source.replace(/^\[(.*)\]$/, '$1');
    if (!isIP(address)) throw bad(`source_address ${JSON.stringify(source)} is not an IP address`);
    spec.sourceAddress = address;
  }
  const verify = u.searchParams.get('verify');
  if (proto === 'dou') {
    if (verify !== null) throw bad('verify applies to dot and doh only');
  } else {
    // The resolver's own TLS settings: the session's `verify` is for the origins it talks to.
    try {
      spec.tls = normalizeTls(verify === null || verify === 'true' ? true : verify === 'false' ? false : verify, null, trustEnv, env);
    } catch (err) {
      throw bad(`verify ${JSON.stringify(verify)}: ${(err as Error).message}`);
    }
  }
  return spec;
}

/** `hosts=`: `name:address` entries answer names; bare names and `*.suffix` restrict the resolver. */
function parseHosts(value: string | null, spec: ResolverSpec, bad: (part: string) => InvalidOption): void {
  for (const entry of (value ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf(':');
    if (at === -1) {
      if (!/^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/i.test(entry)) throw bad(`hosts entry ${JSON.stringify(entry)} is neither name:address nor a name pattern such as *.corp.internal`);
      spec.only.push(entry.toLowerCase());
      continue;
    }
    const name = entry.slice(0, at).toLowerCase();
    const address = entry.slice(at + 1).replace(/^\[(.*)\]$/, '$1');
    if (at === 0 || !isIP(address)) throw bad(`hosts entry ${JSON.stringify(entry)} is not name:address (an IPv6 address in brackets)`);
    (spec.hosts[name] ??= []).push(address);
  }
}
