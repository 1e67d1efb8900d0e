import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, InvalidOption, RequestAborted } from '../../dist/src/index.js';

const FIXTURE = new URL('../fixtures/processors.mjs', import.meta.url).href;
let active = 0;
let maxActive = 0;
let server: http.Server;
let base: string;
let session: AsyncSession;
beforeAll(async () => {
  // /ms/N answers after N ms.
  server = http.createServer((req, res) => {
    active++;
    maxActive = Math.max(maxActive, active);
    const ms = Number(req.url!.split('/')[2] ?? 0);
    setTimeout(() => {
      active--;
      res.end(req.url);
    }, ms);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  session = new AsyncSession();
});
afterAll(async () => {
  await session.close();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('AsyncSession.map', () => {
  it('yields in completion order, never more than `concurrency` in flight', async () => {
    maxActive = 0;
    const urls = [`${base}/ms/300`, `${base}/ms/0`, `${base}/ms/100`];
    const order = [];
    for await (const item of session.map(urls, { concurrency: 3 })) order.push(item.url);
    expect(order).toEqual([urls[1], urls[2], urls[0]]);
    maxActive = 0;
    let n = 0;
    for await (const item of session.map(Array.from({ length: 40 }, (_, i) => `${base}/ms/${i % 5}`), { concurrency: 4 })) {
      expect(item.response!.text).toBe(new URL(item.url).pathname);
      n++;
    }
    expect(n).toBe(40);
    expect(maxActive).toBeLessThanOrEqual(4);
  });

  it('pulls its input lazily: a consumer that stops early leaves the rest unread', async () => {
    let pulled = 0;
    let closed = false;
    async function* lines(): AsyncGenerator<string> {
      try {
        for (let i = 0; i < 1_000_000; i++) {
          pulled++;
          yield `${base}/ms/1`;
        }
      } finally {
        closed = true;
      }
    }
    let taken = 0;
    for await (const item of session.map(lines(), { concurrency: 5 })) {
      expect(item.error).toBeUndefined();
      if (++taken === 20) break;
    }
    expect(pulled).toBeLessThanOrEqual(20 + 5);
    expect(closed).toBe(true);
  });

  it('gives a failed URL its error and carries on; processors give each its result', async () => {
    const items = [];
    for await (const item of session.map(['http://127.0.0.1:1/', `${base}/ms/0`], { processor: `${FIXTURE}#describe` })) items.push(item);
    const failed = items.find((i) => i.url === 'http://127.0.0.1:1/')!;
    expect(failed.error?.code).toBe('NQ_ERR_CONNECTION');
    expect(failed.response).toBeUndefined();
    const ok = items.find((i) => i.url === `${base}/ms/0`)!;
    expect(ok.result).toMatchObject({ bytes: 5, status: 200 });
    expect(ok.response?.statusCode).toBe(200);
  });

  it('an aborted signal stops pulling; what was in flight ends with RequestAborted', async () => {
    const controller = new AbortController();
    let pulled = 0;
    function* urls(): Generator<string> {
      for (;;) {
        pulled++;
        yield `${base}/ms/2000`;
      }
    }
    setTimeout(() => controller.abort(), 200);
    const items = [];
    for await (const item of session.map(urls(), { concurrency: 3, signal: controller.signal })) items.push(item);
    expect(pulled).toBe(3);
    expect(items).toHaveLength(3);
    for (const item of items) expect(item.error).toBeInstanceOf(RequestAborted);
  });

  it('checks its options before pulling anything', async () => {
    const it = session.map(['x'], { concurrency: 0 });
    await expect(it.next()).rejects.toBeInstanceOf(InvalidOption);
  });
});

describe('one signal over many requests', () => {
  it('holds no listener for a request that has finished (a long map under one signal stays bounded)', async () => {
    const { getEventListeners } = await import('node:events');
    const controller = new AbortController();
    let n = 0;
    for await (const item of session.map(Array.from({ length: 60 }, () => `${base}/ms/0`), { concurrency: 4, signal: controller.signal })) {
      expect(item.error).toBeUndefined();
      n++;
    }
    expect(n).toBe(60);
    expect(getEventListeners(controller.signal, 'abort').length).toBe(0);
  });
});
