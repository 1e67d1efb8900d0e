import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, InvalidOption, ProcessorError, ProcessorTimeout, Timeout } from '../../dist/src/index.js';

const FIXTURE = new URL('../fixtures/processors.mjs', import.meta.url).href;
const big = JSON.stringify({ items: Array.from({ length: 50_000 }, (_, i) => ({ id: i, value: i % 10, name: `item-${i}` })) });
const bigGz = gzipSync(big);

let server: http.Server;
let base: string;
let session: AsyncSession;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/doc.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return res.end(bigGz);
    }
    if (req.url === '/moved') return res.writeHead(302, { location: '/hello' }).end('moved away');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('hello processors');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  session = new AsyncSession({ workers: 1 });
});
afterAll(async () => {
  await session.close();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('processors', () => {
  it('run off the main thread on the decoded body; only the result crosses', async () => {
    const r = await session.get(`${base}/doc.json`, { processor: `${FIXTURE}#sumValues` });
    expect(r.result).toEqual({ count: 50_000, total: 225_000 });
    // The ~1.5 MB document never came to this thread: what did is the serialized summary.
    expect(big.length).toBeGreaterThan(1_000_000);
    expect(r.content.length).toBeLessThan(100);
    const seen = (await session.get(`${base}/hello`, { processor: `${FIXTURE}#describe` })).result as Record<string, unknown>;
    expect(seen).toMatchObject({ bytes: 16, first: 'hello processors', status: 200, contentType: 'text/plain', url: `${base}/hello` });
    expect(seen.threadId).not.toBe(0);
  });

  it('run on the final response of a redirect, and the default export when none is named', async () => {
    const r = await session.get(`${base}/moved`, { processor: FIXTURE });
    expect(r.result).toBe('HELLO PROCESSORS');
    expect(r.history.map((h) => h.statusCode)).toEqual([302]);
  });

  it('several run in turn on one body and give an array', async () => {
    const r = await session.get(`${base}/hello`, { processor: [FIXTURE, `${FIXTURE}#describe`] });
    expect(r.result).toEqual(['HELLO PROCESSORS', expect.objectContaining({ bytes: 16 })]);
  });

  it('a throwing processor, a missing export or an uncloneable result fails that call only', async () => {
    await expect(session.get(`${base}/hello`, { processor: `${FIXTURE}#boom` })).rejects.toThrow(/RangeError: kaput/);
    await expect(session.get(`${base}/hello`, { processor: `${FIXTURE}#boom` })).rejects.toBeInstanceOf(ProcessorError);
    await expect(session.get(`${base}/hello`, { processor: `${FIXTURE}#nothing` })).rejects.toThrow(/has no function export "nothing"/);
    await expect(session.get(`${base}/hello`, { processor: `${FIXTURE}#uncloneable` })).rejects.toThrow(/cannot be cloned/);
    expect((await session.get(`${base}/hello`, { processor: FIXTURE })).result).toBe('HELLO PROCESSORS');
  });

  it('an endless processor is stopped at its time limit, and the next call gets a fresh thread', async () => {
    const before = ((await session.get(`${base}/hello`, { processor: `${FIXTURE}#describe` })).result as { threadId: number }).threadId;
    const started = performance.now();
    const err = await session.get(`${base}/hello`, { processor: `${FIXTURE}#forever`, processorTimeout: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessorTimeout);
    expect(err).toBeInstanceOf(Timeout);
    expect((err as Error).message).toMatch(/ran past its limit of 300 ms/);
    expect(performance.now() - started).toBeLessThan(10_000);
    const after = ((await session.get(`${base}/hello`, { processor: `${FIXTURE}#describe` })).result as { threadId: number }).threadId;
    expect(after).not.toBe(before);
  });

  it('are refused where they cannot work, saying why', async () => {
    await expect(session.get(`${base}/hello`, { processor: './x.js#f' })).rejects.toThrow(/pass a file: URL/);
    await expect(session.get(`${base}/hello`, { processor: FIXTURE, stream: true })).rejects.toThrow(/stream: true/);
    await expect(session.get(`${base}/hello`, { processor: FIXTURE, processorTimeout: -1 })).rejects.toBeInstanceOf(InvalidOption);
    const plain = await session.get(`${base}/hello`);
    expect(() => plain.result).toThrow(/had no processor/);
  });
});
