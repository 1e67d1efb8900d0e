/**
 * Name resolution in the worker, by the session's resolver specs, tried in order: the first
 * that answers wins. Addresses come back with IPv6 and IPv4 interleaved (RFC 8305: IPv6
 * first), so that a connection attempt per address alternates families.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ResolverSpec } from './resolver-spec.js';

export interface Address {
  address: string;
  family: 4 | 6;
}

export type Resolve = (host: string) => Promise<Address[]>;

export function createResolver(specs: readonly ResolverSpec[], families: { ipv4: boolean; ipv6: boolean }): Resolve {
  return async (host) => {
    const name = host.toLowerCase();
    let found: Address[] = [];
    let lastError: unknown = null;
    for (const spec of specs) {
      const fixed = spec.hosts[name];
      if (fixed) {
        found = fixed.map((address) => ({ address, family: isIP(address) as 4 | 6 }));
        break;
      }
      if (spec.protocol !== 'system') continue;
      try {
        const answers = await withTimeout(lookup(host, { all: true, verbatim: true }), spec.timeout, host);
        found = answers.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
        break;
      } catch (err) {
        lastError = err;
      }
    }
    const usable = found.filter((a) => (a.family === 4 ? families.ipv4 : families.ipv6));
    if (usable.length === 0) {
      if (found.length > 0) throw Object.assign(new Error(`${host} has only ${families.ipv4 ? 'IPv6' : 'IPv4'} addresses, and those are disabled`), { code: 'ENOTFOUND' });
      throw lastError ?? Object.assign(new Error(`getaddrinfo ENOTFOUND ${host} (no resolver answered)`), { code: 'ENOTFOUND' });
    }
    return interleave(usable);
  };
}

function interleave(addresses: Address[]): Address[] {
  const v6 = addresses.filter((a) => a.family === 6);
  const v4 = addresses.filter((a) => a.family === 4);
  const out: Address[] = [];
  for (let i = 0; i < Math.max(v6.length, v4.length); i++) {
    if (v6[i]) out.push(v6[i]!);
    if (v4[i]) out.push(v4[i]!);
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number, host: string): Promise<T> {
  if (ms <= 0) return p;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error(`resolving ${host} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e) => (clearTimeout(t), reject(e)));
  });
}
