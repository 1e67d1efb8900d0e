/**
 * Name resolution in the worker, by one session's resolver specs, tried in order.
 *
 * - A spec's `hosts=` table answers its names first; its `hosts=` patterns restrict which
 *   names it is asked for at all; `in-memory` answers only from its table and `null` never.
 * - `localhost` and `*.localhost` (RFC 6761: always loopback), unless a table names them, get
 *   the system's addresses for `localhost`: no DNS server knows this machine's loopback.
 * - A network resolver (dou, dot, doh) asks A and AAAA at once, through the worker's cache,
 *   with identical lookups in flight merged into one query per type. NXDOMAIN (or a name
 *   with no address) is an answer and ends the search; a failure (silence within the
 *   timeout, SERVFAIL, REFUSED, a malformed answer, a broken connection) moves on to the next
 *   resolver. So does any failure of `system`.
 *
 * Addresses come back with IPv6 and IPv4 interleaved (RFC 8305: IPv6 first), so that a
 * connection attempt per address alternates families.
 */
import { isIP } from 'node:net';
import type { ResolverSpec } from './resolver-spec.js';
import { profileKeyOf } from '../transport/connector.js';
import { workerCache, type CachedAnswer } from './cache.js';
import { DnsFailure, type DnsAnswer, type QueryType } from './message.js';
import { systemLookup, type Address } from './system.js';
import { UdpClient } from './udp-client.js';
import { dotClient } from './dot-client.js';
import { DohClient } from './doh-client.js';

export type { Address };

/** Addresses, and the resolver that gave them (for `connInfo`). */
export interface Resolved {
  addresses: Address[];
  resolver: string;
}

export type Resolve = (host: string) => Promise<Resolved>;

/** A session's resolvers in one worker. */
export interface Resolver {
  resolve: Resolve;
  /** Closes the resolvers' sockets and connections; lookups in flight fail. */
  close(): void;
}

interface Client {
  query(name: string, type: QueryType, timeout: number): Promise<DnsAnswer>;
  close(): void;
}

/** One spec with its network client (made on first use) and its lookups in flight. */
interface Entry {
  spec: ResolverSpec;
  /** What names this resolver in the worker's cache: its server and TLS profile. */
  cacheKey: string;
  client: Client | null;
  inFlight: Map<string, Promise<CachedAnswer & { ttl: number | null }>>;
}

export function createResolver(specs: readonly ResolverSpec[], families: { ipv4: boolean; ipv6: boolean }): Resolver {
  const entries: Entry[] = specs.map((spec) => ({
    spec,
    cacheKey: JSON.stringify([spec.protocol, spec.host, spec.port, spec.path, spec.method, spec.credentials, spec.sourceAddress, spec.tls ? profileKeyOf(spec.tls) : '']),
    client: null,
    inFlight: new Map(),
  }));
  let closed = false;

  const resolve: Resolve = async (host) => {
    const name = host.toLowerCase().replace(/\.$/, '');
    const { addresses, resolver } = await find(name, host);
    const usable = addresses.filter((a) => (a.family === 4 ? families.ipv4 : families.ipv6));
    if (usable.length === 0) {
      throw notFound(`${host} has only ${families.ipv4 ? 'IPv6' : 'IPv4'} addresses, and those are disabled (answered by ${resolver})`);
    }
    return { addresses: interleave(usable), resolver };
  };

  const find = async (name: string, host: string): Promise<Resolved> => {
    const local = name === 'localhost' || name.endsWith('.localhost');
    const failures: string[] = [];
    let lastCode = 'EAI_AGAIN';
    for (const entry of entries) {
      const { spec } = entry;
      const fixed = spec.hosts[name];
      if (fixed) return { addresses: fixed.map((address) => ({ address, family: isIP(address) as 4 | 6 })), resolver: spec.name };
      if (local) continue;
      if (spec.protocol === 'in-memory' || spec.protocol === 'null' || !servesName(spec.only, name)) continue;
      if (spec.protocol === 'system') {
        try {
          return { addresses: await systemLookup(host, spec.timeout), resolver: spec.name };
        } catch (err) {
          failures.push(`${spec.name}: ${(err as Error).message}`);
          lastCode = (err as { code?: string }).code ?? lastCode;
          continue;
        }
      }
      let answer: CachedAnswer;
      try {
        answer = await lookup(entry, name);
      } catch (err) {
        failures.push(`${spec.name}: ${(err as Error).message}`);
        lastCode = (err as { code?: string }).code ?? lastCode;
        continue;
      }
      if (answer.addresses.length > 0) return { addresses: answer.addresses, resolver: spec.name };
      throw notFound(answer.nxdomain ? `${host} does not exist (NXDOMAIN from ${spec.name})` : `${host} has no address (no A or AAAA record from ${spec.name})`);
    }
    if (local) return { addresses: await systemLookup('localhost', 0), resolver: 'system://' };
    if (failures.length === 0) throw notFound(`${host} could not be resolved: no resolver of the session (${specs.map((s) => s.name).join(', ')}) serves this name`);
    // The last failure's code: a system lookup that timed out stays a timeout, as without a list.
    throw Object.assign(new Error(`${host} could not be resolved: ${failures.join('; ')}`), { code: lastCode });
  };

  /** The name's addresses through a network resolver: from the cache, a lookup in flight, or a new one. */
  const lookup = async (entry: Entry, name: string): Promise<CachedAnswer> => {
    if (closed) throw new DnsFailure('the session was closed');
    const key = `${entry.cacheKey}\0${name}`;
    const cached = workerCache.get(key);
    if (cached) return cached;
    let pending = entry.inFlight.get(name);
    if (!pending) {
      entry.client ??= clientFor(entry.spec);
      pending = ask(entry.client, name, entry.spec.timeout)
        .then((answer) => (workerCache.set(key, answer, answer.ttl), answer))
        .finally(() => entry.inFlight.delete(name));
      entry.inFlight.set(name, pending);
    }
    return pending;
  };

  return {
    resolve,
    close() {
      closed = true;
      for (const entry of entries) entry.client?.close();
    },
  };
}

/**
 * A and AAAA at once: addresses from either are enough; NXDOMAIN from either says the name
 * does not exist; "no address" needs both answers (one may have failed where the other was empty).
 */
async function ask(client: Client, name: string, timeout: number): Promise<CachedAnswer & { ttl: number | null }> {
  const [a, aaaa] = await Promise.allSettled([client.query(name, 'A', timeout), client.query(name, 'AAAA', timeout)]);
  const answers = [a, aaaa].map((r) => (r.status === 'fulfilled' ? usable(r.value) : (r.reason as Error)));
  const failed = answers.find((r): r is Error => r instanceof Error);
  if (answers.some((r) => !(r instanceof Error) && r.rcode === 'NXDOMAIN')) return { addresses: [], nxdomain: true, ttl: null };
  const addresses: Address[] = [];
  let ttl: number | null = null;
  for (const [i, r] of answers.entries()) {
    if (r instanceof Error || r.ttl === null) continue;
    for (const address of r.addresses) addresses.push({ address, family: i === 0 ? 4 : 6 });
    ttl = Math.min(ttl ?? Infinity, r.ttl);
  }
  if (addresses.length === 0 && failed) throw failed;
  return { addresses, nxdomain: false, ttl };
}

/** An answer that says something about the name (NOERROR or NXDOMAIN), or the failure it is. */
function usable(answer: DnsAnswer): DnsAnswer | Error {
  if (answer.rcode === 'NOERROR' || answer.rcode === 'NXDOMAIN') return answer;
  return new DnsFailure(`answered ${answer.rcode}`);
}

function clientFor(spec: ResolverSpec): Client {
  const { host, port, sourceAddress, name } = spec;
  switch (spec.protocol) {
    case 'dou':
      return new UdpClient({ host, port, sourceAddress, name });
    case 'dot':
      return dotClient({ host, port, sourceAddress, name, tls: spec.tls! });
    case 'doh':
      return new DohClient({ host, port, sourceAddress, name, tls: spec.tls!, path: spec.path, json: spec.json, method: spec.method, credentials: spec.credentials, timeout: spec.timeout });
    default:
      throw new Error(`${spec.protocol} has no network client`);
  }
}

/** Whether a resolver restricted by `hosts=` patterns is asked for `name` (lower case). */
export function servesName(only: readonly string[], name: string): boolean {
  if (only.length === 0) return true;
  return only.some((p) => (p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p));
}

function notFound(message: string): Error {
  return Object.assign(new Error(message), { code: 'ENOTFOUND' });
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
