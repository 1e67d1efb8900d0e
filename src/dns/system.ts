/**
 * The operating system's resolver (`dns.lookup`, getaddrinfo), bounded by a timeout: it
 * serves `system://`, `localhost`, and the names of the resolvers' own servers.
 */
import { lookup } from 'node:dns/promises';

export interface Address {
  address: string;
  family: 4 | 6;
}

export async function systemLookup(host: string, timeout: number): Promise<Address[]> {
  const answers = await withTimeout(lookup(host, { all: true, verbatim: true }), timeout, host);
  return answers.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
}

function withTimeout<T>(p: Promise<T>, ms: number, host: string): Promise<T> {
  if (ms <= 0) return p;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error(`resolving ${host} through the system timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e: unknown) => (clearTimeout(t), reject(e)));
  });
}
