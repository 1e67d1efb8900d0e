import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { AsyncSession, BodyTooLarge, InvalidOption, InvalidURL, ReadTimeout, type AsyncWebSocket } from '../../dist/src/index.js';
import { until } from '../helpers/until.js';

// The fixture is shared with the workers' module-app tests (module-app-streams.test.ts).
const streams = (await import('../fixtures/apps/streams-app.mjs')) as { server: http.Server; bare: http.Server; app: http.RequestListener; fetchApp: object };

// A WebSocket to an app in process: the app's http.Server gets an in-memory connection and
// its `ws` server (noServer mode, on the 'upgrade' event) answers as over the network.
// Sessions have a read timeout, so a hang fails with the URL.
const apps = [
  { name: 'an Express app behind an http.Server', app: streams.server },
  { name: 'a bare http.Server', app: streams.bare },
];
const session = (app: unknown, timeout = 5_000) => new AsyncSession({ app, timeout });
const socketOf = async (s: AsyncSession, url: string, options: Record<string, unknown> = {}) => (await s.get(url, options)).extension as AsyncWebSocket;

describe.each(apps)('a WebSocket to $name (AsyncSession)', ({ app }) => {
  it('opens with 101, carries a message each way (text and binary), and the request headers reach the app', async () => {
    await using s = session(app);
    const r = await s.get('ws://api.example/chat', { headers: { 'X-Token': 't1' } });
    expect(r.statusCode).toBe(101);
    const ws = r.extension as AsyncWebSocket;
    expect(ws.kind).toBe('websocket');
    expect(await ws.nextPayload()).toBe('hello api.example /chat t1');
    await ws.sendPayload('hi');
    expect(await ws.nextPayload()).toBe('echo hi');
    await ws.sendPayload(new Uint8Array([1, 2, 3]));
    expect(Buffer.from((await ws.nextPayload()) as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
    await ws.ping('are you there');
    await ws.close();
    expect(ws.closed).toBe(true);
  });

  it('gives the close code both ways: the app hears ours, we hear the app\'s', async () => {
    await using s = session(app);
    const ours = await socketOf(s, 'ws://x/ours');
    await ours.nextPayload();
    await ours.close(4001, 'bye from the test');
    let seen = '';
    await until(() => seen === JSON.stringify({ code: 4001, reason: 'bye from the test' }), () => `the app to report the close, last said ${seen}`, 5_000, async () => {
      const probe = await socketOf(s, 'ws://x/probe');
      await probe.nextPayload();
      await probe.sendPayload('last-close');
      seen = String(await probe.nextPayload());
      await probe.close();
    });

    const theirs = await socketOf(s, 'ws://x/theirs');
    await theirs.nextPayload();
    await theirs.sendPayload('close 4002 app-bye');
    expect(await theirs.nextPayload()).toBeNull();
    expect(theirs.closed).toBe(true);
    expect(theirs.closeCode).toBe(4002);
    expect(theirs.closeReason).toBe('app-bye');
  });

  it('raises ReadTimeout when the app is quiet, and the socket stays usable', async () => {
    await using s = session(app, 300);
    const ws = await socketOf(s, 'ws://x/quiet');
    await ws.nextPayload();
    await ws.sendPayload('wait');
    await expect(ws.nextPayload()).rejects.toThrow(ReadTimeout);
    expect(ws.closed).toBe(false);
    await ws.sendPayload('go');
    expect(await ws.nextPayload()).toBe('at last');
    await ws.close();
  });

  it('fails a message past maxPayload with BodyTooLarge', async () => {
    await using s = session(app);
    const ws = await socketOf(s, 'ws://x/big', { maxPayload: 8 });
    await expect(ws.nextPayload()).rejects.toThrow(BodyTooLarge);
  });

  it('makes a refused upgrade a plain response with its body and no extension', async () => {
    await using s = session(app);
    const r = await s.get('ws://x/refused');
    expect(r.statusCode).toBe(403);
    expect(await r.text()).toBe('forbidden');
    expect(r.extension).toBeNull();
  });
});

describe('an app that takes no WebSocket', () => {
  it('refuses one to a bare request listener, naming what to pass instead', async () => {
    await using s = session(streams.app);
    await expect(s.get('ws://x/chat')).rejects.toThrow(InvalidOption);
    await expect(s.get('ws://x/chat')).rejects.toThrow(/request listener, which has no upgrade handler: pass the http.Server/);
  });

  it('refuses one to a fetch handler and to an http.Server without an upgrade listener', async () => {
    await using fetchSession = session(streams.fetchApp);
    await expect(fetchSession.get('ws://x/chat')).rejects.toThrow(/is a fetch handler/);
    await using serverSession = session(http.createServer((req, res) => res.end()));
    await expect(serverSession.get('ws://x/chat')).rejects.toThrow(/no 'upgrade' listener/);
  });

  it('refuses a WebSocket scheme an app cannot speak in process', async () => {
    await using s = session(streams.server);
    await expect(s.get('wss+rfc8441://x/chat')).rejects.toThrow(InvalidURL);
  });
});
