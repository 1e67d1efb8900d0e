/**
 * The `resolver` option: URLs of the shared grammar
 * `<proto>[+<provider>]://[user:pass@]<host>[:port][/path][?k=v]`, parsed once on the main
 * thread into specs that cross to the workers as JSON. A list is tried in order.
 *
 * This version resolves with `system` (the operating system's resolver, through
 * `dns.lookup`), `in-memory` (a static table from `hosts=`) and `null` (resolves nothing).
 * `hosts=` works with any of them, answering those names before the resolver is asked.
 * The network protocols of the grammar (dou, dot, doh, doq) are recognised and refused with
 * a clear error until the DNS work lands.
 *
 * @example
 * ```ts
 * new Session({ resolver: 'in-memory://default/?hosts=api.test:127.0.0.1,api.test:[::1]' });
 * new Session({ resolver: ['in-memory://default/?hosts=db.test:10.0.0.5', 'system://'] });
 * ```
 */
import { isIP } from 'node:net';
import { InvalidOption, describe } from '../errors.js';

export interface ResolverSpec {
  protocol: 'system' | 'in-memory' | 'null';
  /** Static answers: host name (lower case) to addresses, in the order given. */
  hosts: Record<string, string[]>;
  /** How long one lookup may take, ms (0: the system's own limit). */
  timeout: number;
}

const PLANNED = new Set(['dou', 'dot', 'doh', 'doq']);

export function normalizeResolver(init: string | readonly string[] | null | undefined, env: NodeJS.ProcessEnv, trustEnv: boolean): ResolverSpec[] {
  const given = init ?? (trustEnv ? env.NODEQUESTS_DNS_URL : undefined);
  if (given === undefined || given === null) return [{ protocol: 'system', hosts: {}, timeout: 0 }];
  const list = typeof given === 'string' ? [given] : given;
  if (!Array.isArray(list) || list.length === 0) throw new InvalidOption(`Invalid option resolver: ${describe(given)}; expected a resolver URL or a list of them`);
  return list.map(parseResolverUrl);
}

export function parseResolverUrl(text: string): ResolverSpec {
  if (typeof text !== 'string') throw new InvalidOption(`Invalid resolver ${describe(text)}: expected a URL such as "system://" or "in-memory://default/?hosts=name:1.2.3.4"`);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InvalidOption(`Invalid resolver URL ${JSON.stringify(text)}`);
  }
  const [proto] = u.protocol.slice(0, -1).toLowerCase().split('+');
  if (PLANNED.has(proto!)) throw new InvalidOption(`Resolver ${JSON.stringify(text)}: ${proto} is not available in this version yet (system, in-memory and null are)`);
  if (proto !== 'system' && proto !== 'in-memory' && proto !== 'null') {
    throw new InvalidOption(`Resolver ${JSON.stringify(text)}: unknown protocol ${JSON.stringify(proto)} (expected system, in-memory, null, dou, dot, doh or doq)`);
  }
  const hosts: Record<string, string[]> = {};
  for (const entry of (u.searchParams.get('hosts') ?? '').split(',').filter(Boolean)) {
    const at = entry.indexOf(':');
    const name = entry.slice(0, at).trim().toLowerCase();
    const address = entry.slice(at + 1).trim().replace(/^\[(.*)\]$/, '$1');
    if (at <= 0 || !isIP(address)) throw new InvalidOption(`Resolver ${JSON.stringify(text)}: hosts entry ${JSON.stringify(entry)} is not name:address`);
    (hosts[name] ??= []).push(address);
  }
  const seconds = u.searchParams.get('timeout');
  const timeout = seconds === null ? 0 : Number(seconds) * 1000;
  if (!Number.isFinite(timeout) || timeout < 0) throw new InvalidOption(`Resolver ${JSON.stringify(text)}: timeout must be seconds >= 0`);
  return { protocol: proto, hosts, timeout };
}
