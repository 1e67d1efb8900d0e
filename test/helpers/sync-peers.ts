import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TestPki } from './certs.js';

export interface SyncPeers {
  /** https://127.0.0.1:port of an HTTP/2 server (HTTP/1.1 allowed) answering `<version> <path>`. */
  h2: string;
  /** http+unix://… of a server answering `unix <method> <path>`. */
  unix: string;
  /** http://127.0.0.1:port serving /br, /zstd and /deflate bodies of {@link DECODED}. */
  enc: string;
  /** http://127.0.0.1:port of a proxy that wants Basic `user:pass`. */
  proxy: string;
  /** http://127.0.0.1:port answering JSON of what reached it (url, via, proxyAuth). */
  plain: string;
  /** What the proxy saw since the last call: request lines and Proxy-Authorization. */
  seen(): Promise<Array<{ line: string; auth: string | null }>>;
  close(): Promise<void>;
}

/** The text every encoded body of {@link SyncPeers.enc} decodes to. */
export const DECODED = 'sync decoding '.repeat(2000);

/** Starts test/fixtures/sync-peers.mjs in a worker thread, where a blocked sync call cannot stall it. */
export async function startSyncPeers(pki: TestPki): Promise<SyncPeers> {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'nq-sync-peers-')), 'peer.sock');
  const worker = new Worker(new URL('../fixtures/sync-peers.mjs', import.meta.url), {
    workerData: { cert: pki.server.cert, key: pki.server.key, socketPath, proxyUser: 'user', proxyPass: 'pass' },
  });
  const [{ ports }] = (await once(worker, 'message')) as [{ ports: Record<'h2' | 'enc' | 'proxy' | 'plain', number> }];
  return {
    h2: `https://127.0.0.1:${ports.h2}`,
    unix: `http+unix://${encodeURIComponent(socketPath)}`,
    enc: `http://127.0.0.1:${ports.enc}`,
    proxy: `http://127.0.0.1:${ports.proxy}`,
    plain: `http://127.0.0.1:${ports.plain}`,
    async seen() {
      worker.postMessage({ op: 'seen' });
      return ((await once(worker, 'message')) as [{ seen: Array<{ line: string; auth: string | null }> }])[0].seen;
    },
    async close() {
      worker.postMessage({ op: 'close' });
      await worker.terminate();
    },
  };
}
