import { createHash } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { deflateRawSync, constants as zlib } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, BodyTooLarge, ConnectionError, type AsyncWebSocket } from '../../dist/src/index.js';
import { until } from '../helpers/until.js';

/**
 * Autobahn-style framing cases, taken from the cases `ws`'s own test suite
 * (test/receiver.test.js) runs against its receiver, where they apply to a client: a raw
 * server writes frames byte by byte, and we check what the user gets (messages, or the
 * error) and what the client sends back (the close code of the closing handshake, pongs).
 */

interface Received {
  opcode: number;
  payload: Buffer;
}

interface Case {
  name: string;
  /** What the server writes after the handshake, in separate writes. */
  frames: Buffer[];
  /** Negotiate permessage-deflate. */
  deflate?: boolean;
  /** Messages the user reads, in order, before the end. */
  messages?: Array<string | number[]>;
  /** How the stream ends: null (a clean close), or the error class. */
  ends: null | typeof ConnectionError | typeof BodyTooLarge;
  /** The close code the client sends back. */
  clientClose: number;
  maxPayload?: number;
  /** Frames the client must have sent before its close (pongs), as [opcode, payload]. */
  sends?: Array<[number, string]>;
}

/** A server frame (unmasked unless `mask`), with its bits set as given. */
function frame(opcode: number, payload: Buffer | string, o: { fin?: boolean; rsv1?: boolean; rsv2?: boolean; rsv3?: boolean; mask?: boolean } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const b0 = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | (o.rsv2 ? 0x20 : 0) | (o.rsv3 ? 0x10 : 0) | opcode;
  const maskBit = o.mask ? 0x80 : 0;
  let head: Buffer;
  if (data.length < 126) head = Buffer.from([b0, maskBit | data.length]);
  else if (data.length < 65536) {
    head = Buffer.alloc(4);
    head[0] = b0;
    head[1] = maskBit | 126;
    head.writeUInt16BE(data.length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(BigInt(data.length), 2);
  }
  if (!o.mask) return Buffer.concat([head, data]);
  const key = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([head, key, Buffer.from(data.map((b, i) => b ^ key[i % 4]!))]);
}

const close = (code: number, reason = ''): Buffer => {
  const p = Buffer.alloc(2 + Buffer.byteLength(reason));
  p.writeUInt16BE(code, 0);
  p.write(reason, 2);
  return frame(8, p);
};

/** A permessage-deflate payload: raw deflate with the trailing 00 00 ff ff taken off. */
const deflated = (text: string): Buffer => {
  const d = deflateRawSync(Buffer.from(text), { finishFlush: zlib.Z_SYNC_FLUSH });
  return d.subarray(0, d.length - 4);
};

const text300 = 'x'.repeat(300);
const bin200k = Buffer.alloc(200 * 1024, 0x5a);

const CASES: Case[] = [
  { name: 'an unmasked text message', frames: [frame(1, 'Hello'), close(1000)], messages: ['Hello'], ends: null, clientClose: 1000 },
  { name: 'a close message spanning multiple writes', frames: [Buffer.from([0x88, 0x02, 0x03]), Buffer.from([0xe8])], messages: [], ends: null, clientClose: 1000 },
  { name: 'a 300 B fragmented text message', frames: [frame(1, text300.slice(0, 150), { fin: false }), frame(0, text300.slice(150)), close(1000)], messages: [text300], ends: null, clientClose: 1000 },
  {
    name: 'a fragmented text message with a ping in the middle (answered with a pong)',
    frames: [frame(1, text300.slice(0, 150), { fin: false }), frame(9, 'Hello'), frame(0, text300.slice(150)), close(1000)],
    messages: [text300],
    ends: null,
    clientClose: 1000,
    sends: [[10, 'Hello']],
  },
  { name: 'a ping message with no data', frames: [frame(9, ''), close(1000)], messages: [], ends: null, clientClose: 1000, sends: [[10, '']] },
  { name: 'a 200 KiB unmasked binary message', frames: [frame(2, bin200k), close(1000)], messages: [[...bin200k]], ends: null, clientClose: 1000 },
  {
    name: 'a buffer with thousands of frames',
    frames: [Buffer.concat([...Array.from({ length: 5000 }, () => frame(1, '')), close(1000)])],
    messages: Array.from({ length: 5000 }, () => ''),
    ends: null,
    clientClose: 1000,
  },
  { name: 'a compressed message', deflate: true, frames: [frame(1, deflated('Hello'), { rsv1: true }), close(1000)], messages: ['Hello'], ends: null, clientClose: 1000 },
  {
    name: 'a compressed and fragmented message',
    deflate: true,
    frames: (() => {
      const d = deflated(text300);
      return [frame(1, d.subarray(0, 10), { rsv1: true, fin: false }), frame(0, d.subarray(10)), close(1000)];
    })(),
    messages: [text300],
    ends: null,
    clientClose: 1000,
  },
  { name: 'data after a close frame is ignored', frames: [Buffer.concat([close(1000), frame(1, 'late')])], messages: [], ends: null, clientClose: 1000 },
  { name: 'the server\'s close code and reason', frames: [close(4000, 'bye')], messages: [], ends: null, clientClose: 4000 },
  { name: 'RSV1 on without permessage-deflate', frames: [frame(2, 'x', { rsv1: true })], ends: ConnectionError, clientClose: 1002 },
  { name: 'RSV1 on in a continuation frame', deflate: true, frames: [frame(1, deflated('ab'), { rsv1: true, fin: false }), frame(0, 'c', { rsv1: true })], ends: ConnectionError, clientClose: 1002 },
  { name: 'RSV2 on', frames: [frame(2, 'x', { rsv2: true })], ends: ConnectionError, clientClose: 1002 },
  { name: 'RSV3 on', frames: [frame(2, 'x', { rsv3: true })], ends: ConnectionError, clientClose: 1002 },
  { name: 'the first fragment has opcode 0', frames: [frame(0, 'x', { fin: false })], ends: ConnectionError, clientClose: 1002 },
  { name: 'opcode 1 in the middle of a fragmented message', frames: [frame(1, 'a', { fin: false }), frame(1, 'b')], ends: ConnectionError, clientClose: 1002 },
  { name: 'opcode 2 in the middle of a fragmented message', frames: [frame(2, 'a', { fin: false }), frame(2, 'b')], ends: ConnectionError, clientClose: 1002 },
  { name: 'a control frame with the FIN bit off', frames: [frame(9, 'x', { fin: false })], ends: ConnectionError, clientClose: 1002 },
  { name: 'a control frame with the RSV1 bit on', deflate: true, frames: [frame(9, 'x', { rsv1: true })], ends: ConnectionError, clientClose: 1002 },
  { name: 'a masked frame from the server', frames: [frame(1, 'masked', { mask: true })], ends: ConnectionError, clientClose: 1002 },
  { name: 'a control frame with a payload over 125 B', frames: [frame(9, Buffer.alloc(126))], ends: ConnectionError, clientClose: 1002 },
  { name: 'an unknown opcode', frames: [frame(3, 'x')], ends: ConnectionError, clientClose: 1002 },
  { name: 'a data frame announcing more than 2^53 - 1 B', frames: [Buffer.from([0x82, 0x7f]), Buffer.from([0x00, 0x20, 0, 0, 0, 0, 0, 0])], ends: BodyTooLarge, clientClose: 1009 },
  { name: 'invalid UTF-8 in a text frame', frames: [Buffer.from([0x81, 0x04, 0xce, 0xba, 0xe1, 0xbd])], ends: ConnectionError, clientClose: 1007 },
  { name: 'invalid UTF-8 across fragments', frames: [frame(1, Buffer.from([0xce, 0xba]), { fin: false }), frame(0, Buffer.from([0xe1, 0xbd]))], ends: ConnectionError, clientClose: 1007 },
  { name: 'a close frame with a payload of 1 B', frames: [Buffer.from([0x88, 0x01, 0x00])], ends: ConnectionError, clientClose: 1002 },
  { name: 'a close frame with an invalid close code', frames: [close(1005)], ends: ConnectionError, clientClose: 1002 },
  { name: 'a close frame with an invalid UTF-8 reason', frames: [frame(8, Buffer.from([0x03, 0xe8, 0xf8, 0x88, 0x80, 0x80, 0x80]))], ends: ConnectionError, clientClose: 1007 },
  { name: 'a frame longer than maxPayload', maxPayload: 20, frames: [frame(2, Buffer.alloc(21))], ends: BodyTooLarge, clientClose: 1009 },
  {
    name: 'fragments adding up to more than maxPayload',
    maxPayload: 20,
    frames: [frame(2, Buffer.alloc(15), { fin: false }), frame(0, Buffer.alloc(6))],
    ends: BodyTooLarge,
    clientClose: 1009,
  },
];

/** What the server saw of each connection: the client's frames. */
const connections: Received[][] = [];
let current: Case | null = null;
const server = net.createServer((socket) => {
  const got: Received[] = [];
  connections.push(got);
  const which = current!;
  let buffered = Buffer.alloc(0);
  let open = false;
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (!open) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffered.subarray(0, end).toString('latin1');
      buffered = buffered.subarray(end + 4);
      open = true;
      const key = /sec-websocket-key: *(.+)/i.exec(head)![1]!.trim();
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      const ext = which.deflate ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : '';
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${ext}\r\n`);
      void (async () => {
        for (const f of which.frames) {
          socket.write(f);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
    }
    // The client's frames are masked; a close is answered with a close, then the socket ends.
    for (;;) {
      if (buffered.length < 2) return;
      let len = buffered[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buffered.length < 4) return;
        len = buffered.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buffered.length < 10) return;
        len = Number(buffered.readBigUInt64BE(2));
        at = 10;
      }
      if (buffered.length < at + 4 + len) return;
      const mask = buffered.subarray(at, at + 4);
      const payload = Buffer.from(buffered.subarray(at + 4, at + 4 + len).map((b, i) => b ^ mask[i % 4]!));
      const opcode = buffered[0]! & 0x0f;
      buffered = buffered.subarray(at + 4 + len);
      got.push({ opcode, payload });
      if (opcode === 8) {
        socket.end(frame(8, payload.subarray(0, 2)));
        return;
      }
    }
  });
});

let base: string;
// One session for every case: its workers start once.
const s = new AsyncSession({ timeout: 5000 });
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await s.close();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('WebSocket framing, UTF-8 and close handshake (cases from ws\'s receiver tests)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    current = c;
    const before = connections.length;
    const ws = (await s.get(base, c.maxPayload === undefined ? {} : { maxPayload: c.maxPayload })).extension as AsyncWebSocket;
    const messages: unknown[] = [];
    let error: unknown = null;
    try {
      for (let m = await ws.nextPayload(); m !== null; m = await ws.nextPayload()) messages.push(typeof m === 'string' ? m : [...m]);
    } catch (e) {
      error = e;
    }
    if (c.ends === null) expect(error).toBeNull();
    else expect(error).toBeInstanceOf(c.ends);
    if (c.messages) expect(messages).toEqual(c.messages);
    const got = connections[before]!;
    await until(() => got.some((f) => f.opcode === 8), () => `the client's close frame (got opcodes ${got.map((f) => f.opcode).join(',')})`);
    const closeFrame = got.find((f) => f.opcode === 8)!;
    expect(closeFrame.payload.readUInt16BE(0)).toBe(c.clientClose);
    for (const [opcode, payload] of c.sends ?? []) expect(got.some((f) => f.opcode === opcode && f.payload.toString() === payload)).toBe(true);
  });
});
