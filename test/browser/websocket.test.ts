// WebSocket in the browser build (src/browser/websocket.ts), in headless chromium against a
// `ws` echo server of this file: r.extension in an AsyncSession on the page and in a sync
// Session in a Web Worker (the socket then lives in the helper worker).
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, openBrowser, type BrowserHarness } from '../helpers/browser.js';

const skip = chromiumMissing();

describe.skipIf(skip)('browser: WebSocket on the native WebSocket', () => {
  let b: BrowserHarness;
  let wss: WebSocketServer;
  let ws: string;
  const closes: number[] = [];
  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    ws = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (socket, req) => {
      socket.send(`hello ${req.url}`);
      socket.on('message', (data, isBinary) => {
        if (!isBinary && String(data) === 'close me') socket.close(4100, 'bye');
        else socket.send(isBinary ? data : `echo ${String(data)}`, { binary: isBinary });
      });
      socket.on('close', (code) => closes.push(code));
    });
    b = await openBrowser(() => false);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    for (const c of wss?.clients ?? []) c.terminate();
    await new Promise((resolve) => wss?.close(resolve));
  });

  it('AsyncSession: 101 and r.extension; text and binary both ways; for await; close', async () => {
    closes.length = 0;
    const out = await b.run(`
      const r = await new nq.AsyncSession().get('${ws}/chat');
      const x = r.extension;
      const got = [r.statusCode, await x.nextPayload()];
      await x.sendPayload('ping me');
      got.push(await x.nextPayload());
      await x.sendPayload(new Uint8Array([1, 2, 3]));
      const bin = await x.nextPayload();
      got.push(bin instanceof Uint8Array, [...bin]);
      await x.sendPayload('last');
      for await (const m of x) { got.push(m); break; }
      got.push(x.closeCode);
      await x.close(4000, 'done');
      got.push(await x.nextPayload(), x.closed, x.closeCode, x.closeReason);
      return got;
    `);
    // The peer's answering close frame carries the code back.
    expect(out).toEqual({ value: [101, 'hello /chat', 'echo ping me', true, [1, 2, 3], 'echo last', null, null, true, 4000, 'done'] });
    await expect.poll(() => closes).toEqual([4000]);
  });

  it('a sync Session in a worker: nextPayload blocks, sendPayload sends, a quiet socket times out and stays usable', async () => {
    const out = await b.inWorker(`
      const r = new nq.Session().get('${ws}/sync');
      const x = r.extension;
      const got = [r.statusCode, x.nextPayload()];
      let timedOut = null;
      try { x.nextPayload({ timeout: 100 }); } catch (e) { timedOut = e.code; }
      x.sendPayload('from a worker');
      got.push(timedOut, x.nextPayload());
      x.sendPayload(new Uint8Array(300000).fill(5));
      const big = x.nextPayload();
      got.push(big.length, big[299999]);
      x.sendPayload('close me');
      got.push(x.nextPayload(), x.closed, x.closeCode, x.closeReason);
      return got;
    `);
    // The server closed it: its code and reason reach the worker through the helper.
    expect(out).toEqual({ value: [101, 'hello /sync', 'NQ_ERR_READ_TIMEOUT', 'echo from a worker', 300000, 5, null, true, 4100, 'bye'] });
  });

  it('a socket that cannot open is a ConnectionError', async () => {
    const out = await b.run(`return await nq.aget('ws://127.0.0.1:9/');`);
    expect(out).toMatchObject({ error: { name: 'ConnectionError', code: 'NQ_ERR_CONNECTION' } });
    expect((out as { error: { message: string } }).error.message).toMatch(/Could not open the WebSocket/);
  });
});
