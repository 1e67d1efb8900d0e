import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createDecoder, DecodeFailure } from '../../dist/src/transport/decoder.js';
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
    await expect(decode('gzip', bomb, 1 << 20, 65536)).rejects.toThrow(/more than 1048576 bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20);
  });

  it('lists what it decodes for Accept-Encoding', () => {
    expect(supportedEncodings()).toEqual(['gzip', 'deflate', 'br', 'zstd']);
  });
});
