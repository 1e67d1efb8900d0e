/**
 * The misbehaving peers of test/fixtures/misbehaving-peers.mjs, in a worker thread: a sync
 * call blocks this thread, never theirs. Counters are read by message, after the call.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export interface Peers {
  /** http://127.0.0.1:<port> of each peer. */
  raw: string;
  tlsGarbage: string;
  tlsSilent: string;
  h2: string;
  h2One: string;
  keepAlive: string;
  polite: string;
  /** What the peers counted since the last reset. */
  stats(): Promise<Record<string, number>>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startPeers(): Promise<Peers> {
  const worker = new Worker(new URL('../fixtures/misbehaving-peers.mjs', import.meta.url));
  const [{ ports }] = (await once(worker, 'message')) as [{ ports: Record<string, number> }];
  let next = 0;
  const ask = async (op: string): Promise<Record<string, number>> => {
    const id = ++next;
    worker.postMessage({ id, op });
    for (;;) {
      const [m] = (await once(worker, 'message')) as [{ id: number; stats: Record<string, number> }];
      if (m.id === id) return m.stats;
    }
  };
  const url = (name: string): string => `http://127.0.0.1:${ports[name]}`;
  return {
    raw: url('raw'),
    tlsGarbage: `https://127.0.0.1:${ports.tlsGarbage}`,
    tlsSilent: `https://127.0.0.1:${ports.tlsSilent}`,
    h2: url('h2'),
    h2One: url('h2One'),
    keepAlive: url('keepAlive'),
    polite: url('polite'),
    stats: () => ask('stats'),
    reset: async () => void (await ask('reset')),
    close: async () => void (await worker.terminate()),
  };
}
