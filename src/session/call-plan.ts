/**
 * What a session's settings mean for its calls, worked out once rather than per request:
 * Requests' `merge_setting` and `merge_environment_settings`, split into what depends only
 * on the session (default timeouts, TLS, whether any proxy applies), kept for the session's
 * lifetime, and what depends on the origin too (the proxy, NO_PROXY included), kept per
 * origin. A session drops its plan whenever one of its attributes is set, so a plan never
 * outlives the settings it was made from. What users may change in place (the headers,
 * the cookie jar, the hook lists, params) is read from the settings at each call instead.
 */
import type { PreparedRequest } from '../request/prepared-request.js';
import { netrc } from '../request/prepare.js';
import { originOf } from '../request/url.js';
import { mergeHooks, type Hooks } from './hooks.js';
import { defaultTimeouts, normalizeRequestOptions, type NormalizedRequestOptions, type NormalizedSessionOptions, type Timeouts } from './options.js';
import { selectProxy } from './proxies.js';
import { normalizeTls, type CertInit, type TlsConfig, type VerifyInit } from './tls.js';

/** Origins whose proxy a plan remembers; a crawl of more starts the memory afresh. */
const MAX_ORIGINS = 1024;

// Requests without hooks of their own share the session's lists as they are.
const NO_HOOKS = normalizeRequestOptions(undefined).hooks;

export class CallPlan {
  readonly #settings: NormalizedSessionOptions;
  /** JSON of the session's TLS settings when its pools were opened with others; '' otherwise. */
  readonly #tls: string;
  /** Whether the session or the environment names any proxy. */
  readonly #proxied: boolean;
  readonly #proxyByOrigin = new Map<string, string>();

  /** `openedTls`: what the session's transport was opened with. */
  constructor(settings: NormalizedSessionOptions, openedTls: TlsConfig | null) {
    this.#settings = settings;
    this.#tls = openedTls === null || settings.tls === openedTls ? '' : JSON.stringify(settings.tls);
    this.#proxied = hasEntries(settings.proxies) || hasEntries(settings.envProxies);
  }

  timeouts(options: NormalizedRequestOptions, method: string): Timeouts {
    return options.timeout ?? this.#settings.timeout ?? defaultTimeouts(method);
  }

  /** Session hooks, then the request's. */
  hooks(options: NormalizedRequestOptions): Hooks {
    return options.hooks === NO_HOOKS ? this.#settings.hooks : mergeHooks(this.#settings.hooks, options.hooks);
  }

  /** JSON of the TLS settings a request needs when they are not its pools' own; '' otherwise. */
  tls(options: NormalizedRequestOptions): string {
    if (options.verify === undefined && options.cert === undefined) return this.#tls;
    const s = this.#settings;
    const cert = options.cert === undefined ? certOf(s.tls) : options.cert;
    return JSON.stringify(normalizeTls(options.verify ?? verifyOf(s.tls), cert, s.trustEnv));
  }

  /** The proxy for a request to `url` (request over session over environment), or ''. */
  proxy(url: string, requestProxies: Record<string, string | null>): string {
    const s = this.#settings;
    if (hasEntries(requestProxies)) return selectProxy(new URL(url), requestProxies, s.proxies, s.envProxies) ?? '';
    if (!this.#proxied) return '';
    const origin = originOf(url);
    let proxy = this.#proxyByOrigin.get(origin);
    if (proxy === undefined) {
      proxy = selectProxy(new URL(origin), s.proxies, s.envProxies) ?? '';
      if (this.#proxyByOrigin.size >= MAX_ORIGINS) this.#proxyByOrigin.clear();
      this.#proxyByOrigin.set(origin, proxy);
    }
    return proxy;
  }

  /**
   * Credentials for a redirect's new host when the old ones were dropped: only when nobody
   * chose them (explicit auth is not swapped for .netrc), as in Requests' `rebuild_auth`.
   */
  readonly rebuildAuth = (target: URL, request: PreparedRequest): PreparedRequest => {
    if (this.#settings.auth !== null) return request;
    const found = netrc(target, this.#settings);
    return found ? found.apply(request) : request;
  };
}

/** For a call whose own `auth` option is in force: credentials stay as they are. */
export function keepAuth(_target: URL, request: PreparedRequest): PreparedRequest {
  return request;
}

/** The session's verify setting in the form `normalizeTls` takes. */
export function verifyOf(tls: TlsConfig): VerifyInit {
  return tls.pin ? `sha256_${tls.pin}` : (tls.ca ?? tls.verify);
}

export function certOf(tls: TlsConfig): CertInit | null {
  return tls.cert === null ? null : { cert: tls.cert, key: tls.key!, passphrase: tls.passphrase ?? undefined };
}

function hasEntries(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
