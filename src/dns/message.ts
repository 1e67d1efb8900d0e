/**
 * DNS messages, as every network resolver sends and reads them: a query for one name and
 * type (the wire format is `dns-packet`'s), and what an answer says, checked against the
 * question it answers. The JSON API of DoH (`/resolve`) reads into the same shape.
 */
import type * as Packet from 'dns-packet';
import { randomInt } from 'node:crypto';
import { onFirstUse } from '../on-first-use.js';

const loadPacket = onFirstUse<typeof Packet>('dns-packet');

export type QueryType = 'A' | 'AAAA';

/** What a server answered for one name and type. */
export interface DnsAnswer {
  /** 'NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED'… */
  rcode: string;
  addresses: string[];
  /** The shortest TTL of the records used, seconds; null when there were none. */
  ttl: number | null;
  truncated: boolean;
}

/** A failure to get an answer from one server: the next resolver of the list is tried. */
export class DnsFailure extends Error {
  readonly code = 'EAI_AGAIN';
}

export function newId(): number {
  return randomInt(0, 0x10000);
}

export function encodeQuery(id: number, name: string, type: QueryType): Buffer {
  return loadPacket().encode({ type: 'query', id, flags: loadPacket().RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
}

/**
 * Reads an answer to the query (`name`, `type`): null when it is a response to another
 * question (over UDP, possibly spoofed: ignored); a DnsFailure when it cannot be decoded.
 */
export function readAnswer(bytes: Buffer, name: string, type: QueryType, server: string): DnsAnswer | null {
  let m: Packet.DecodedPacket & { rcode?: string };
  try {
    m = loadPacket().decode(bytes);
  } catch (err) {
    throw new DnsFailure(`malformed answer from ${server} (${(err as Error).message})`);
  }
  const q = m.questions?.[0];
  if (m.type !== 'response' || !q || q.type !== type || trimDot(q.name) !== trimDot(name)) return null;
  return fromRecords(m.rcode ?? 'NOERROR', m.flag_tc, name, type, (m.answers ?? []) as Array<{ name: string; type: string; ttl?: number; data: unknown }>);
}

/** An answer of DoH's JSON API (`application/dns-json`). */
export function readJsonAnswer(text: string, name: string, type: QueryType, server: string): DnsAnswer {
  let m: { Status?: unknown; TC?: unknown; Answer?: unknown };
  try {
    m = JSON.parse(text) as typeof m;
  } catch (err) {
    throw new DnsFailure(`malformed JSON answer from ${server} (${(err as Error).message})`);
  }
  if (typeof m?.Status !== 'number') throw new DnsFailure(`malformed JSON answer from ${server} (no Status)`);
  const records = Array.isArray(m.Answer) ? (m.Answer as Array<{ name: string; type: number; TTL?: number; data: unknown }>) : [];
  const rcodes = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
  const typeOf: Record<number, string> = { 1: 'A', 5: 'CNAME', 28: 'AAAA' };
  return fromRecords(
    rcodes[m.Status] ?? `RCODE${m.Status}`,
    m.TC === true,
    name,
    type,
    records.map((r) => ({ name: String(r.name), type: typeOf[r.type] ?? String(r.type), ttl: r.TTL, data: r.data })),
  );
}

/** The addresses of `type` for `name`, following the CNAME chain the answer carries. */
function fromRecords(rcode: string, truncated: boolean, name: string, type: QueryType, records: Array<{ name: string; type: string; ttl?: number; data: unknown }>): DnsAnswer {
  const names = new Set([trimDot(name)]);
  let ttl: number | null = null;
  const addresses: string[] = [];
  // CNAMEs come before what they point to, but nothing requires it: follow until nothing changes.
  for (let grown = true; grown; ) {
    grown = false;
    for (const r of records) {
      if (r.type === 'CNAME' && names.has(trimDot(r.name)) && !names.has(trimDot(String(r.data)))) {
        names.add(trimDot(String(r.data)));
        ttl = Math.min(ttl ?? Infinity, r.ttl ?? 0);
        grown = true;
      }
    }
  }
  for (const r of records) {
    if (r.type !== type || !names.has(trimDot(r.name)) || typeof r.data !== 'string') continue;
    addresses.push(r.data);
    ttl = Math.min(ttl ?? Infinity, r.ttl ?? 0);
  }
  return { rcode, addresses, ttl: addresses.length > 0 ? ttl : null, truncated };
}

function trimDot(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}
