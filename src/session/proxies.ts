/**
 * Which proxy a request goes through: the `proxies` option (request over session), then,
 * under `trustEnv`, HTTP_PROXY / HTTPS_PROXY / ALL_PROXY and NO_PROXY in either case, as
 * Requests reads them (read when the session is made). The chosen proxy's URL crosses to
 * the worker; credentials in it become `Proxy-Authorization` there.
 *
 * @example
 * ```ts
 * new Session({ proxies: { http: 'http://127.0.0.1:8888', https: 'http://127.0.0.1:8888' } });
 * new Session({ proxies: { all: 'socks5h://127.0.0.1:1080', 'http://intranet': null } });
 * ```
 */
import { isIP } from 'node:net';
import { InvalidOption, describe } from '../errors.js';

/**
 * Proxies by `scheme://host`, `scheme`, `all://host` or `all` (most specific wins); a
 * `null` value means "no proxy" for that key; `noProxy` lists hosts that bypass them.
 */
export type ProxiesInit = Readonly<Record<string, string | null>>;

const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks5:', 'socks5h:']);

export function normalizeProxies(init: ProxiesInit | null | undefined, option = 'proxies'): Record<string, string | null> {
  if (init === undefined || init === null) return {};
  if (typeof init !== 'object') throw new InvalidOption(`Invalid option ${option}: ${describe(init)}; expected { http, https, all, 'scheme://host': url }`);
  const out: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(init)) {
    if (key === 'noProxy' || key === 'no_proxy') {
      if (value !== null && typeof value !== 'string') throw new InvalidOption(`Invalid option ${option}.${key}: ${describe(value)}; expected a comma-separated list of hosts`);
      out.noProxy = value;
      continue;
    }
    if (value === null) {
      out[key] = null;
      continue;
    }
    let u: URL;
    try {
      u = new URL(String(value));
    } catch {
      throw new InvalidOption(`Invalid proxy URL for ${option}.${key}: ${describe(value)}`);
    }
    if (!PROXY_SCHEMES.has(u.protocol)) {
      throw new InvalidOption(`Invalid proxy URL for ${option}.${key}: ${describe(value)}; expected http, https, socks5 or socks5h`);
    }
    out[key] = u.href;
  }
  return out;
}

/**
 * The proxy settings the environment gives (under `trustEnv`), in the same form as the
 * `proxies` option. Read once, when a session is made: `process.env` is slow to read and a
 * crawl would read it for every URL.
 */
export function proxiesFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const scheme of ['http', 'https', 'all']) {
    const v = envVar(env, `${scheme}_proxy`);
    if (v) Object.assign(out, normalizeProxies({ [scheme]: v }, `${scheme.toUpperCase()}_PROXY`));
  }
  const noProxy = envVar(env, 'no_proxy');
  if (noProxy) out.noProxy = noProxy;
  return out;
}

/** The proxy for `url` (request settings over session settings over environment), or null. */
export function selectProxy(url: URL, ...layers: Array<Record<string, string | null>>): string | null {
  const scheme = url.protocol.slice(0, -1);
  const host = url.hostname;
  const keys = [`${scheme}://${host}`, scheme, `all://${host}`, 'all'];
  let noProxy: string | null | undefined;
  for (const layer of layers) noProxy ??= layer.noProxy;
  if (noProxy && bypasses(url, noProxy)) return null;
  for (const layer of layers) {
    for (const k of keys) if (k in layer) return layer[k]!;
  }
  return null;
}

/**
 * Lower case first, as curl and Requests prefer it; a lower-case variable that is set but
 * empty means none (it does not fall back to the upper-case one). Under CGI
 * (`REQUEST_METHOD` set) upper-case `HTTP_PROXY` is ignored, as curl and Go do: it may be
 * the request's own `Proxy:` header ("httpoxy").
 */
function envVar(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const lower = env[name];
  if (lower !== undefined) return lower || undefined;
  if (name === 'http_proxy' && env.REQUEST_METHOD !== undefined) return undefined;
  return env[name.toUpperCase()] || undefined;
}

/**
 * NO_PROXY: `*`, host names (a leading dot or none: the domain and its subdomains),
 * `host:port`, IPv4/IPv6 addresses (IPv6 in brackets or bare) and CIDR ranges.
 */
export function bypasses(url: URL, noProxy: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | null = null;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1]!;
      entryPort = bracketed[2] ?? null;
    } else if (isIP(entry) !== 6) {
      const m = /^(.*):(\d+)$/.exec(entry);
      if (m) {
        entry = m[1]!;
        entryPort = m[2]!;
      }
    }
    if (entryPort !== null && entryPort !== port) continue;
    if (entry.includes('/') && isIP(host) && inCidr(host, entry)) return true;
    const bare = entry.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const a = toBits(ip);
  const b = toBits(net!);
  if (!a || !b || a.length !== b.length || !Number.isInteger(bits)) return false;
  return a.slice(0, bits) === b.slice(0, bits);
}

function toBits(ip: string): string | null {
  if (isIP(ip) === 4) return ip.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  if (isIP(ip) === 6) {
    const [head, tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return groups.map((g) => parseInt(g || '0', 16).toString(2).padStart(16, '0')).join('');
  }
  return null;
}
