/**
 * WebSockets and event streams: echo round trips/s and one-way messages/s at 64 B and 64 KiB
 * with nodequests (sync `Session` and `AsyncSession`, the socket in a transport worker)
 * against the `ws` package used directly on the main thread; and events/s read from an event
 * stream. The server runs in a worker thread (bench/extension-server.ts). Rows alternate
 * within each round; medians.
 */
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { request as undiciRequest } from 'undici';
import { createParser } from 'eventsource-parser';
import { WebSocket } from 'ws';
import { AsyncSession, Session, type ExtensionUrl, type AsyncServerSentEvents, type AsyncWebSocket, type SyncServerSentEvents, type SyncWebSocket } from '../src/index.js';
import { median } from './stats.js';

export interface ExtensionOptions {
  rounds: number;
  /** Scales every row's message count (1: a measurement; smaller for a smoke run). */
  scale: number;
  log: (line: string) => void;
}

/** A client under test: what one row does, given how many messages. */
interface Client {
  echo(payload: Buffer, n: number): Promise<void> | void;
  oneWay(payload: Buffer, n: number): Promise<void> | void;
  events(n: number): Promise<void> | void;
}

export async function runExtensionSuite(o: ExtensionOptions): Promise<{ markdown: string }> {
  const worker = new Worker(new URL('./extension-server.js', import.meta.url));
  const [port] = (await once(worker, 'message')) as [number];
  const ws = (path: string): ExtensionUrl => `ws://127.0.0.1:${port}${path}`;
  const sync = new Session({ timeout: 30_000 });
  const async_ = new AsyncSession({ timeout: 30_000 });
  const clients: Array<[string, Client]> = [
    ['ws on the main thread', wsClient(ws, port)],
    ['nodequests Session (sync)', syncClient(sync, ws, port)],
    ['nodequests AsyncSession', asyncClient(async_, ws, port)],
  ];
  const rows: Array<{ name: string; unit: string; run: (c: Client) => Promise<void> | void; n: number }> = [
    { name: 'echo round trips, 64 B', unit: 'round trips/s', n: Math.ceil(2000 * o.scale), run: (c) => c.echo(Buffer.alloc(64, 1), Math.ceil(2000 * o.scale)) },
    { name: 'echo round trips, 64 KiB', unit: 'round trips/s', n: Math.ceil(500 * o.scale), run: (c) => c.echo(Buffer.alloc(64 << 10, 1), Math.ceil(500 * o.scale)) },
    { name: 'one-way messages, 64 B', unit: 'messages/s', n: Math.ceil(20_000 * o.scale), run: (c) => c.oneWay(Buffer.alloc(64, 1), Math.ceil(20_000 * o.scale)) },
    { name: 'one-way messages, 64 KiB', unit: 'messages/s', n: Math.ceil(2000 * o.scale), run: (c) => c.oneWay(Buffer.alloc(64 << 10, 1), Math.ceil(2000 * o.scale)) },
    { name: 'event stream, ~60 B events', unit: 'events/s', n: Math.ceil(50_000 * o.scale), run: (c) => c.events(Math.ceil(50_000 * o.scale)) },
  ];
  const rates = new Map<string, number[]>();
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (const row of rows) {
        for (let i = 0; i < clients.length; i++) {
          const [name, client] = clients[(i + round) % clients.length]!;
          const t0 = performance.now();
          await row.run(client);
          const rate = (row.n * 1000) / (performance.now() - t0);
          const key = `${row.name}|${name}`;
          rates.set(key, [...(rates.get(key) ?? []), rate]);
          o.log(`extensions: round ${round + 1}: ${row.name}, ${name}: ${Math.round(rate)} ${row.unit}`);
        }
      }
    }
  } finally {
    sync.close();
    await async_.close();
    worker.postMessage('stop');
    await once(worker, 'exit');
  }
  const lines = [
    '### WebSockets and event streams',
    '',
    `Server: \`ws\` (no compression) and a node:http event stream in a worker thread, on 127.0.0.1. ${o.rounds} rounds, rows alternating; medians. The \`ws\` row is the package used directly on the main thread (the event-stream row there: undici \`request()\` and eventsource-parser on the main thread).`,
    '',
    `| case | ${clients.map(([n]) => n).join(' | ')} |`,
    `| --- | ${clients.map(() => '---:').join(' | ')} |`,
  ];
  for (const row of rows) {
    const cells = clients.map(([name]) => Math.round(median(rates.get(`${row.name}|${name}`)!)).toLocaleString('en-US'));
    lines.push(`| ${row.name} (${row.unit}) | ${cells.join(' | ')} |`);
  }
  return { markdown: lines.join('\n') };
}

function wsClient(url: (path: string) => ExtensionUrl, port: number): Client {
  const open = async (path: string): Promise<WebSocket> => {
    const ws = new WebSocket(url(path), { perMessageDeflate: false });
    await once(ws, 'open');
    return ws;
  };
  return {
    async echo(payload, n) {
      const ws = await open('/echo');
      for (let i = 0; i < n; i++) {
        ws.send(payload);
        await once(ws, 'message');
      }
      ws.close();
    },
    async oneWay(payload, n) {
      const ws = await open('/sink');
      for (let i = 0; i < n; i++) {
        // Waits for the socket to drain as a careful sender does, or memory would grow.
        if (ws.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 1));
        ws.send(payload);
      }
      ws.send('count?');
      await once(ws, 'message');
      ws.close();
    },
    async events(n) {
      const r = await undiciRequest(`http://127.0.0.1:${port}/events?count=${n}`);
      let got = 0;
      const parser = createParser({ onEvent: () => got++ });
      for await (const chunk of r.body) parser.feed((chunk as Buffer).toString());
      if (got !== n) throw new Error(`ws row: ${got} events of ${n}`);
    },
  };
}

function syncClient(s: Session, url: (path: string) => ExtensionUrl, port: number): Client {
  return {
    echo(payload, n) {
      const ws = s.get(url('/echo')).extension as SyncWebSocket;
      for (let i = 0; i < n; i++) {
        ws.sendPayload(payload);
        ws.nextPayload();
      }
      ws.close();
    },
    oneWay(payload, n) {
      const ws = s.get(url('/sink')).extension as SyncWebSocket;
      for (let i = 0; i < n; i++) ws.sendPayload(payload);
      ws.sendPayload('count?');
      ws.nextPayload();
      ws.close();
    },
    events(n) {
      const events = s.get(`psse://127.0.0.1:${port}/events?count=${n}`).extension as SyncServerSentEvents;
      let got = 0;
      while (events.nextPayload() !== null) got++;
      if (got !== n) throw new Error(`sync row: ${got} events of ${n}`);
    },
  };
}

function asyncClient(s: AsyncSession, url: (path: string) => ExtensionUrl, port: number): Client {
  return {
    async echo(payload, n) {
      const ws = (await s.get(url('/echo'))).extension as AsyncWebSocket;
      for (let i = 0; i < n; i++) {
        await ws.sendPayload(payload);
        await ws.nextPayload();
      }
      await ws.close();
    },
    async oneWay(payload, n) {
      const ws = (await s.get(url('/sink'))).extension as AsyncWebSocket;
      for (let i = 0; i < n; i++) await ws.sendPayload(payload);
      await ws.sendPayload('count?');
      await ws.nextPayload();
      await ws.close();
    },
    async events(n) {
      const events = (await s.get(`psse://127.0.0.1:${port}/events?count=${n}`)).extension as AsyncServerSentEvents;
      let got = 0;
      while ((await events.nextPayload()) !== null) got++;
      if (got !== n) throw new Error(`async row: ${got} events of ${n}`);
    },
  };
}
