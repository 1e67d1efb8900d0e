import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Ring } from '../../dist/src/channel/ring.js';

type Frame = { type: number; flags: number; stream: number; aux: number; payload: Buffer };
const drainAll = (ring: Ring): Frame[] => {
  const out: Frame[] = [];
  ring.drain((type, flags, stream, aux, bytes, start, length) => out.push({ type, flags, stream, aux, payload: Buffer.from(bytes.subarray(start, start + length)) }));
  return out;
};

describe('Ring', () => {
  it('carries frames in order with their exact payloads', () => {
    const ring = new Ring(Ring.create(4096));
    expect(ring.write(3, 1, 7, 99, Buffer.from('hello'))).toBe(true);
    expect(ring.write(4, 0, 8, 0xffffffff)).toBe(true);
    const frames = drainAll(ring);
    expect(frames).toEqual([
      { type: 3, flags: 1, stream: 7, aux: 99, payload: Buffer.from('hello') },
      { type: 4, flags: 0, stream: 8, aux: 0xffffffff, payload: Buffer.alloc(0) },
    ]);
    expect(drainAll(ring)).toEqual([]);
  });

  it('refuses a frame that does not fit, and takes it once the reader made room', () => {
    const ring = new Ring(Ring.create(1024));
    const payload = Buffer.alloc(200, 1);
    let written = 0;
    while (ring.write(17, 0, 1, 0, payload)) written++;
    expect(written).toBe(4); // 4 × (16 + 200 → 224) = 896; a fifth does not fit in 1024
    expect(drainAll(ring)).toHaveLength(4);
    expect(ring.write(17, 0, 1, 0, payload)).toBe(true);
  });

  it('carries a frame bigger than half the ring from any position: the end is padded first', () => {
    const ring = new Ring(Ring.create(1024));
    // Move the writing position to 400: the room after it (624) and before it (400) are each
    // too small for a 700-byte frame, which only fits once the ring starts over at 0.
    expect(ring.write(17, 0, 1, 0, Buffer.alloc(400 - 16))).toBe(true);
    expect(drainAll(ring)).toHaveLength(1);
    const big = Buffer.alloc(700, 7);
    expect(ring.write(18, 0, 2, 0, big)).toBe(false);
    expect(drainAll(ring)).toEqual([]); // only the padding was there
    expect(ring.write(18, 0, 2, 0, big)).toBe(true);
    expect(drainAll(ring)).toEqual([{ type: 18, flags: 0, stream: 2, aux: 0, payload: big }]);
    // And one that can never fit says so every time, without harm to what follows.
    expect(ring.write(19, 0, 3, 0, Buffer.alloc(1024))).toBe(false);
    drainAll(ring);
    expect(ring.write(20, 0, 4, 0, Buffer.from('after'))).toBe(true);
    expect(drainAll(ring).map((f) => f.payload.toString())).toEqual(['after']);
  });

  it('wraps around the end with padding, never splitting a frame', () => {
    const ring = new Ring(Ring.create(1024));
    for (let round = 0; round < 50; round++) {
      const payload = Buffer.alloc(100 + (round % 7) * 13, round);
      expect(ring.write(17, 0, round, 0, payload)).toBe(true);
      const [f] = drainAll(ring);
      expect(f!.stream).toBe(round);
      expect(f!.payload.equals(payload)).toBe(true);
    }
  });

  it('moves a million bytes intact between two threads under constant backpressure', async () => {
    const sab = Ring.create(4096);
    const ring = new Ring(sab);
    // The producer is another thread writing frames of varying size; when the ring is full
    // it waits on the head cell, which drain() notifies.
    const producer = new Worker(
      `
      const { workerData } = require('node:worker_threads');
      import(workerData.ringUrl).then(({ Ring }) => {
        const ring = new Ring(workerData.sab);
        const [cells, index] = ring.headCell;
        for (let i = 0; i < 20000; i++) {
          const p = Buffer.alloc(1 + (i % 97), i % 256);
          while (!ring.write(17, 0, i, p.length, p)) {
            const seen = ring.markBlocked(p.length);
            if (seen !== null) Atomics.wait(cells, index, seen, 100);
          }
        }
      });`,
      { eval: true, workerData: { sab, ringUrl: new URL('../../dist/src/channel/ring.js', import.meta.url).href } },
    );
    let next = 0;
    let bad = 0;
    const deadline = Date.now() + 20_000;
    while (next < 20000 && Date.now() < deadline) {
      ring.drain((_t, _f, stream, aux, bytes, start, length) => {
        if (stream !== next || aux !== length || bytes[start] !== next % 256 || bytes[start + length - 1] !== next % 256) bad++;
        next++;
      });
      await new Promise((r) => setImmediate(r));
    }
    await producer.terminate();
    expect(bad).toBe(0);
    expect(next).toBe(20000);
  });
});
