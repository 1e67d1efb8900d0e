/**
 * Servers of one big document in every encoding the engine decodes, over HTTP/1.1
 * (node:http, cleartext) and HTTP/2 (node:http2 over TLS with a certificate made at test
 * time). Each encoded body is prepared once, so the servers only write.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { makePki } from '../helpers/certs.js';

export const ENCODINGS = ['gzip', 'br', 'zstd'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export interface DocServers {
  /** The decoded document and its sha256 (hex). */
  doc: Buffer;
  sha256: string;
  /** Bases of `/doc/<encoding>` over each protocol. */
  h1: string;
  h2: string;
  /** The CA that signed the HTTP/2 server's certificate. */
  caPath: string;
  /** Documents written in full by either server. */
  served(): number;
  close(): Promise<void>;
}

/**
 * A JSON document of about `bytes` bytes: records with a counter and some pseudo-random
 * fields, so that it compresses about as well as real JSON (~10:1), not to nothing.
 */
export function jsonDocument(bytes: number): Buffer {
  const items: unknown[] = [];
  let size = 2;
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; size < bytes; i++) {
    const item = { id: i, name: `item-${rand().toString(36)}`, tags: ['alpha', 'beta', 'gamma'].slice(0, 1 + (rand() % 3)), value: rand() % 100_000 };
    size += JSON.stringify(item).length + 1;
    items.push(item);
  }
  return Buffer.from(JSON.stringify(items));
}

function encode(doc: Buffer, encoding: Encoding): Buffer {
  switch (encoding) {
    case 'gzip':
      return zlib.gzipSync(doc);
    case 'br':
      return zlib.brotliCompressSync(doc, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
    case 'zstd':
      // node:zlib has no zstd encoder before Node 22.15; the zstd command does.
      return execFileSync('zstd', ['-c', '-q'], { input: doc, maxBuffer: 1 << 30 });
  }
}

export async function startDocServers(doc: Buffer): Promise<DocServers> {
  const bodies = new Map(ENCODINGS.map((e) => [e, encode(doc, e)]));
  const pki = makePki();
  let served = 0;
  const pick = (url: string | undefined) => {
    const encoding = /^\/doc\/(\w+)/.exec(url ?? '')?.[1] as Encoding;
    return { encoding, body: bodies.get(encoding) };
  };
  const h1 = http.createServer((req, res) => {
    const { encoding, body } = pick(req.url);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': body.length });
    res.end(body, () => served++);
  });
  const h2 = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
    const { encoding, body } = pick(req.url);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': body.length });
    res.end(body, () => served++);
  });
  const sockets = new Set<Socket>();
  for (const server of [h1, h2]) {
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  }
  return {
    doc,
    sha256: createHash('sha256').update(doc).digest('hex'),
    h1: `http://127.0.0.1:${(h1.address() as AddressInfo).port}`,
    h2: `https://127.0.0.1:${(h2.address() as AddressInfo).port}`,
    caPath: pki.caPath,
    served: () => served,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([h1, h2].map((server) => new Promise((r) => server.close(r))));
    },
  };
}
