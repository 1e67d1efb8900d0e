import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createDecoder, DecodeFailure, MAX_ENCODING_LAYERS, MAX_ZSTD_WINDOW } from '../../dist/src/decoding/decoder.js';
import { supportedEncodings } from '../../dist/src/channel/encodings.js';

const text = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i} of some text\n`).join(''));

async function decode(encoding: string, data: Buffer, max = 1 << 30, chunk = 1000): Promise<Buffer> {
  const d = createDecoder(encoding, { maxDecodedBytes: max })!;
  const out: Buffer[] = [];
  return new Promise((resolve, reject) => {
    d.on('data', (c) => out.push(c));
    d.on('end', () => resolve(Buffer.concat(out)));
    d.on('error', reject);
    for (let i = 0; i < data.length; i += chunk) d.write(data.subarray(i, i + chunk));
    d.end();
  });
}

/** A zstd block header: last flag, type (0 raw, 1 RLE, 2 compressed), size. */
function blockHeader(last: boolean, type: number, size: number): Buffer {
  const h = (last ? 1 : 0) | (type << 1) | (size << 3);
  return Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]);
}

/**
 * A zstd frame made by hand: a header declaring `windowLog` (or, single-segment, a content
 * size standing for the window), then `blocks` RLE blocks of `run` bytes of 'a' each.
 */
function zstdFrame(opts: { windowLog?: number; singleSegmentSize?: number; blocks?: number; run?: number }): Buffer {
  const { blocks = 1, run = 16 } = opts;
  const magic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
  let header: Buffer;
  if (opts.singleSegmentSize !== undefined) {
    const fcs = Buffer.alloc(8);
    fcs.writeBigUInt64LE(BigInt(opts.singleSegmentSize));
    header = Buffer.concat([Buffer.from([0xe0]), fcs]); // 8-byte content size, single segment
  } else {
    header = Buffer.from([0x00, (opts.windowLog! - 10) << 3]);
  }
  const parts = [magic, header];
  for (let i = 0; i < blocks; i++) parts.push(blockHeader(i === blocks - 1, 1, run), Buffer.from('a'));
  return Buffer.concat(parts);
}

function skippableFrame(data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x184d2a53, 0);
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data]);
}

describe('decoder', () => {
  it('undoes gzip, deflate (wrapped and raw), br and zstd', async () => {
    expect(await decode('gzip', zlib.gzipSync(text))).toEqual(text);
    expect(await decode('x-gzip', zlib.gzipSync(text))).toEqual(text);
    expect(await decode('deflate', zlib.deflateSync(text))).toEqual(text);
    expect(await decode('deflate', zlib.deflateRawSync(text))).toEqual(text);
    expect(await decode('br', zlib.brotliCompressSync(text))).toEqual(text);
    expect(await decode('zstd', execFileSync('zstd', ['-c', '-q'], { input: text }))).toEqual(text);
  });

  it('undoes stacked encodings last-applied first', async () => {
    expect(await decode('gzip, br', zlib.brotliCompressSync(zlib.gzipSync(text)))).toEqual(text);
    expect(await decode('deflate, gzip', zlib.gzipSync(zlib.deflateSync(text)))).toEqual(text);
  });

  it('nothing to do for no encoding or identity', () => {
    expect(createDecoder(null, { maxDecodedBytes: 1 })).toBeNull();
    expect(createDecoder('identity', { maxDecodedBytes: 1 })).toBeNull();
  });

  it('corrupt and truncated bodies fail, naming the encoding', async () => {
    await expect(decode('gzip', Buffer.from('this is not gzip'))).rejects.toThrow(/gzip.*incorrect header/);
    await expect(decode('gzip', zlib.gzipSync(text).subarray(0, 200))).rejects.toThrow(/unexpected end/);
    const noisy = randomBytes(50_000);
    await expect(decode('br', zlib.brotliCompressSync(noisy).subarray(0, 1000))).rejects.toBeInstanceOf(DecodeFailure);
    const z = execFileSync('zstd', ['-c', '-q'], { input: noisy });
    await expect(decode('zstd', z.subarray(0, z.length - 10))).rejects.toThrow(/zstd/);
  });

  it('an unknown encoding is refused at once', () => {
    expect(() => createDecoder('lzma', { maxDecodedBytes: 1 })).toThrow(/unsupported Content-Encoding "lzma"/);
  });

  it('stops a decompression bomb at the limit instead of inflating it', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 << 20)); // 64 MiB of zeros in ~64 KiB
    const before = process.memoryUsage().arrayBuffers;
    await expect(decode('gzip', bomb, 1 << 20, 65536)).rejects.toMatchObject({ code: 'NQ_ERR_BODY_TOO_LARGE', message: expect.stringMatching(/more than 1048576 bytes/) });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20);
  });

  it('regression: refuses a zstd frame declaring a 256 MiB window before allocating it', async () => {
    const bomb = zstdFrame({ windowLog: 28 }); // 15 bytes that would cost fzstd 256 MiB
    const before = process.memoryUsage().arrayBuffers;
    const failure = decode('zstd', bomb).then(
      () => null,
      (e: unknown) => e,
    );
    const err = await failure;
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    expect(err).toBeInstanceOf(DecodeFailure);
    expect((err as DecodeFailure).code).toBe('NQ_ERR_CONTENT_DECODING');
    expect((err as Error).message).toMatch(new RegExp(`window of ${256 << 20} bytes \\(256 MiB\\); at most ${MAX_ZSTD_WINDOW} bytes \\(8 MiB\\)`));
  });

  it('regression: refuses a 64 MiB window (which a decoder would otherwise accept) and a too big single-segment frame', async () => {
    await expect(decode('zstd', zstdFrame({ windowLog: 26 }))).rejects.toThrow(/window of 67108864 bytes/);
    await expect(decode('zstd', zstdFrame({ singleSegmentSize: 64 << 20 }))).rejects.toThrow(/window of 67108864 bytes/);
    // A header split across writes is checked whole.
    await expect(decode('zstd', zstdFrame({ windowLog: 26 }), 1 << 30, 1)).rejects.toThrow(/window of 67108864 bytes/);
  });

  it('regression: checks every frame of a multi-frame body, not just the first', async () => {
    const good = execFileSync('zstd', ['-c', '-q'], { input: text });
    await expect(decode('zstd', Buffer.concat([good, zstdFrame({ windowLog: 27 })]))).rejects.toThrow(/window of 134217728 bytes/);
    await expect(decode('zstd', Buffer.concat([good, skippableFrame(Buffer.alloc(100)), zstdFrame({ windowLog: 27 })]), 1 << 30, 7)).rejects.toThrow(/window of 134217728/);
  });

  it('still decodes frames within the limit: several, skippable ones between, any write sizes', async () => {
    const good = execFileSync('zstd', ['-c', '-q'], { input: text });
    const body = Buffer.concat([good, skippableFrame(Buffer.from('ignore me')), good]);
    for (const chunk of [1, 5, 1000, 1 << 20]) expect((await decode('zstd', body, 1 << 30, chunk)).equals(Buffer.concat([text, text])), `chunk ${chunk}`).toBe(true);
    // Exactly at the limit, declared either way.
    expect(await decode('zstd', zstdFrame({ windowLog: 23, blocks: 3 }))).toEqual(Buffer.alloc(48, 'a'));
    expect(await decode('zstd', zstdFrame({ singleSegmentSize: 32, blocks: 2 }))).toEqual(Buffer.alloc(32, 'a'));
  });

  it('regression: a body of many zstd blocks written at once is decoded across turns of the event loop', async () => {
    // fzstd moves its whole window for every block: a run of blocks must not hold the thread.
    const blocks = 200;
    const run = 1 << 17;
    const body = zstdFrame({ windowLog: 23, blocks, run });
    const d = createDecoder('zstd', { maxDecodedBytes: Infinity })!;
    let decoded = 0;
    let decodedAtFirstTurn = -1;
    const done = new Promise<void>((resolve, reject) => {
      d.on('data', (c) => (decoded += c.length));
      d.on('end', resolve);
      d.on('error', reject);
    });
    d.write(body);
    d.end();
    setImmediate(() => (decodedAtFirstTurn = decoded));
    await done;
    expect(decoded).toBe(blocks * run);
    expect(decodedAtFirstTurn).toBeGreaterThanOrEqual(0);
    expect(decodedAtFirstTurn).toBeLessThan(blocks * run);
  });

  it(`regression: refuses more than ${MAX_ENCODING_LAYERS} stacked codings before building any stage`, async () => {
    let body = text;
    for (let i = 0; i < MAX_ENCODING_LAYERS; i++) body = zlib.gzipSync(body);
    expect(await decode(Array(MAX_ENCODING_LAYERS).fill('gzip').join(', '), body)).toEqual(text);
    const many = Array(2500).fill('gzip').join(', ');
    expect(() => createDecoder(many, { maxDecodedBytes: 1 })).toThrow(/encoded 2500 times over \(Content-Encoding: gzip, gzip.*…\); at most 5 codings are undone/);
    expect(() => createDecoder('gzip, br, gzip, br, gzip, zstd', { maxDecodedBytes: 1 })).toThrow(/6 times over/);
  });

  it('lists what it decodes for Accept-Encoding', () => {
    expect(supportedEncodings()).toEqual(['gzip', 'deflate', 'br', 'zstd']);
  });
});
