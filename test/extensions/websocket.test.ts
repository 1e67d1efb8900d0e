import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, InvalidOption, ReadTimeout, Session, type SyncWebSocket } from '../../dist/src/index.js';
import { startExtensionPeers } from '../helpers/extension-peers.js';
import { withSyncWatchdog } from '../helpers/sync-watchdog.js';

/**
 * WebSockets through the sync API: every call blocks, so the peers run in another process
 * (test/fixtures/extension-peers.mjs). The async API and the transport's cases are in
 * test/transport/websocket-handler.test.ts.
 */
let peers: Awaited<ReturnType<typeof startExtensionPeers>>;
let base: string;

beforeAll(async () => {
  peers = await startExtensionPeers();
  base = `ws://127.0.0.1:${peers.port}`;
});
afterAll(() => peers.close());

const wsOf = (r: { extension: unknown }): SyncWebSocket => r.extension as SyncWebSocket;
const sleep = (ms: number): void => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms) as unknown as void;

interface Status { flooded: number; buffered: number; readingAgain: boolean; received: number; lastClose: [number, string] | null; handshake: { cookie: string | null; authorization: string | null } }

describe('WebSocket (Session)', () => {
  it('blocks for each message: text, binary, a 16 MiB one; closes both ways with codes', () => {
    withSyncWatchdog(20_000, 'sync WebSocket exchange', () => {
      const s = new Session({ timeout: 10_000 });
      try {
        // Uncompressed: 16 MiB of random bytes through zlib both ways would be most of the time.
        const r = s.get(`${base}/plain`);
        expect(r.statusCode).toBe(101);
        const ws = wsOf(r);
        ws.sendPayload('héllo');
        expect(ws.nextPayload()).toBe('héllo');
        ws.sendPayload(new Uint8Array([1, 2, 3]));
        expect([...(ws.nextPayload() as Buffer)]).toEqual([1, 2, 3]);
        const big = randomBytes(16 << 20);
        ws.sendPayload(big);
        expect((ws.nextPayload() as Buffer).equals(big)).toBe(true);
        ws.sendPayload('close-4001');
        expect(ws.nextPayload()).toBeNull();
        expect([ws.closeCode, ws.closeReason]).toEqual([4001, 'asked to']);
        expect(() => ws.sendPayload('late')).toThrow(ConnectionError);

        const ws2 = wsOf(s.get(`${base}/echo`));
        ws2.close(4100, 'done here');
        expect(ws2.closed).toBe(true);
        expect(s.get(`http://127.0.0.1:${peers.port}/status`).json<Status>().lastClose).toEqual([4100, 'done here']);
        expect(() => ws2.close(999)).toThrow(InvalidOption);
      } finally {
        s.close();
      }
    });
  });

  it('raises ReadTimeout after the read timeout and stays usable; iterates until the server closes', () => {
    withSyncWatchdog(20_000, 'sync WebSocket read timeout', () => {
      const s = new Session({ timeout: { connect: 5000, read: 150 } });
      try {
        const ws = wsOf(s.get(`${base}/echo`));
        ws.sendPayload('later 600 at last');
        expect(() => ws.nextPayload()).toThrow(ReadTimeout);
        expect(ws.closed).toBe(false);
        let got: unknown = undefined;
        for (let i = 0; i < 40 && got === undefined; i++) {
          try {
            got = ws.nextPayload();
          } catch (e) {
            if (!(e instanceof ReadTimeout)) throw e;
          }
        }
        expect(got).toBe('at last');
        ws.sendPayload('a');
        ws.sendPayload('b');
        ws.sendPayload('close-4001');
        expect([...ws]).toEqual(['a', 'b']);
      } finally {
        s.close();
      }
    });
  });

  it('a refused upgrade is a plain response; cookies and auth go with the handshake', () => {
    withSyncWatchdog(20_000, 'sync WebSocket handshake', () => {
      const s = new Session({ timeout: 5000, auth: ['u', 'p'] });
      try {
        s.cookies.set('sid', '42', { domain: '127.0.0.1' });
        const denied = s.get(`${base}/deny`);
        expect([denied.statusCode, denied.extension, denied.text]).toEqual([403, null, 'denied']);
        const ws = wsOf(s.get(`${base}/echo`));
        const hs = s.get(`http://127.0.0.1:${peers.port}/status`).json<Status>().handshake;
        expect(hs).toEqual({ cookie: 'sid=42', authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
        ws.close();
      } finally {
        s.close();
      }
    });
  });

  it('a slow reader stops the server (its socket backs up); everything then arrives in order', () => {
    withSyncWatchdog(30_000, 'sync WebSocket slow reader', () => {
      const s = new Session({ timeout: 10_000 });
      try {
        const ws = wsOf(s.get(`${base}/plain`));
        ws.sendPayload('flood');
        sleep(500);
        const status = s.get(`http://127.0.0.1:${peers.port}/status`).json<Status>();
        // The worker took its window (1 MiB) and the kernel its buffers; the rest waits server-side.
        expect(status.flooded).toBeLessThan(4096);
        expect(status.buffered).toBeGreaterThan(2 << 20);
        for (let i = 0; i < status.flooded; i++) expect((ws.nextPayload() as Buffer).readUInt32BE(0)).toBe(i);
        ws.close();
      } finally {
        s.close();
      }
    });
  });

  it('a sender faster than the server reads blocks in sendPayload until the server reads again', () => {
    withSyncWatchdog(30_000, 'sync WebSocket fast sender', () => {
      const s = new Session({ timeout: 10_000 });
      try {
        const ws = wsOf(s.get(`${base}/plain`));
        ws.sendPayload('stop-reading 1500');
        const chunk = randomBytes(256 * 1024);
        // 32 MiB: more than the window and the kernel's buffers hold, so the loop can only
        // end once the server reads again.
        for (let i = 0; i < 128; i++) ws.sendPayload(chunk);
        expect(s.get(`http://127.0.0.1:${peers.port}/status`).json<Status>().readingAgain).toBe(true);
        ws.close();
      } finally {
        s.close();
      }
    });
  });
});
