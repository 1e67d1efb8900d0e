// WebSocket and event-stream servers nodequests did not write, in other processes on
// loopback: Debian's websocketd wrapping cat, a python3-websockets echo server, and an event
// stream from python3-aiohttp. Off CI, skipped (saying why) when they are not installed; on
// CI that fails the file (scripts/interop/install.sh installs them).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, Session, type AsyncServerSentEvents, type AsyncWebSocket, type SyncWebSocket } from '../../dist/src/index.js';
import { checkPeers, startPeers, type Peers } from '../../scripts/interop/peers.mjs';
import { skipWithout } from '../helpers/interop.js';

const available = checkPeers();
const skipWebsocketd = skipWithout('websocketd', available.websocketd);
const skipPy = skipWithout('python3-websockets', available.pywebsockets);
const skipAiohttp = skipWithout('python3-aiohttp', available.aiohttp);

let peers: Peers | undefined;
beforeAll(async () => {
  const only = (['websocketd', 'pywebsockets', 'aiohttp'] as const).filter((n) => available[n] === null);
  peers = await startPeers({ only: [...only] });
}, 60_000);
afterAll(async () => {
  await Promise.all([peers?.websocketd?.stop(), peers?.pywebsockets?.stop(), peers?.aiohttp?.stop()]);
});

describe.skipIf(skipWebsocketd)('websocketd (wrapping cat)', () => {
  it('sends back each message (a line for cat), sync and async', async () => {
    const s = new Session({ timeout: 10_000 });
    try {
      const ws = s.get(`${peers!.websocketd!.url}/`).extension as SyncWebSocket;
      ws.sendPayload('hello');
      expect(ws.nextPayload()).toBe('hello');
      ws.close();
    } finally {
      s.close();
    }
    await using a = new AsyncSession({ timeout: 10_000 });
    const ws = (await a.get(`${peers!.websocketd!.url}/`)).extension as AsyncWebSocket;
    for (const line of ['one', 'two', 'three']) await ws.sendPayload(line);
    expect([await ws.nextPayload(), await ws.nextPayload(), await ws.nextPayload()]).toEqual(['one', 'two', 'three']);
    await ws.close();
  });
});

describe.skipIf(skipPy)('python3-websockets echo', () => {
  it('echoes text, binary and a 4 MiB message; negotiates permessage-deflate; closes with 1000', async () => {
    await using a = new AsyncSession({ timeout: 10_000 });
    const r = await a.get(`${peers!.pywebsockets!.url}/`);
    expect(r.statusCode).toBe(101);
    expect(r.headers.get('sec-websocket-extensions')).toMatch(/permessage-deflate/);
    const ws = r.extension as AsyncWebSocket;
    await ws.sendPayload('ünïcode');
    expect(await ws.nextPayload()).toBe('ünïcode');
    const big = randomBytes(4 << 20);
    await ws.sendPayload(big);
    expect(((await ws.nextPayload()) as Buffer).equals(big)).toBe(true);
    await ws.close(1000, 'done');
    expect(ws.closeCode).toBe(1000);
  });
});

describe.skipIf(skipAiohttp)('python3-aiohttp event stream', () => {
  it('reads its events and resumes from Last-Event-ID', async () => {
    await using a = new AsyncSession({ timeout: 10_000 });
    const events = (await a.get(`${peers!.aiohttp!.url.replace(/^http:/, 'psse:')}/events?count=3`)).extension as AsyncServerSentEvents;
    const got = [];
    for await (const e of events) got.push([e.id, e.event, e.json()]);
    expect(got).toEqual([['1', 'tick', { i: 1 }], ['2', 'tick', { i: 2 }], ['3', 'tick', { i: 3 }]]);
    const resumed = (await a.get(`${peers!.aiohttp!.url.replace(/^http:/, 'psse:')}/events?count=1`, { headers: { 'Last-Event-ID': events.lastEventId! } })).extension as AsyncServerSentEvents;
    expect((await resumed.nextPayload())!.id).toBe('4');
  });
});
