import { mkdtempSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  boundaryOf, encodeMultipart, fieldParts, fileParts, newBoundary,
} from '../../dist/src/request/multipart.js';
import { InvalidHeader, InvalidOption } from '../../dist/src/errors.js';

async function bytesOf(body: Uint8Array | { kind: 'stream'; source: AsyncIterable<Uint8Array> }): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Uint8Array[] = [];
  for await (const c of body.source) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Parses a multipart body back with Node's own fetch implementation. */
async function parse(body: Uint8Array | { kind: 'stream'; source: AsyncIterable<Uint8Array> }, boundary: string): Promise<FormData> {
  return new Response(await bytesOf(body), {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  }).formData();
}

const dir = mkdtempSync(join(tmpdir(), 'nq-multipart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encodeMultipart', () => {
  it('round-trips fields and files through a real multipart parser', async () => {
    const binary = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x2d, 0x2d]);
    const parts = [
      ...fieldParts([['name', 'Ada'], ['tag', ['x', 'y']], ['n', 1], ['skip', null]]),
      ...fileParts({
        report: ['report.csv', 'some,data,to,send\nanother,row,to,send\n', 'text/csv'],
        bin: ['blob.bin', binary, 'application/octet-stream'],
      }),
    ];
    const { body, boundary, length } = encodeMultipart(parts);
    expect(body).toBeInstanceOf(Uint8Array);
    expect(length).toBe((body as Uint8Array).byteLength);

    const form = await parse(body as Uint8Array, boundary);
    expect(form.get('name')).toBe('Ada');
    expect(form.getAll('tag')).toEqual(['x', 'y']);
    expect(form.get('n')).toBe('1');
    expect(form.has('skip')).toBe(false);
    const report = form.get('report') as File;
    expect(report.name).toBe('report.csv');
    expect(report.type).toBe('text/csv');
    expect(await report.text()).toBe('some,data,to,send\nanother,row,to,send\n');
    const bin = form.get('bin') as File;
    expect(Buffer.from(await bin.arrayBuffer())).toEqual(binary);
  });

  it('puts fields as plain parts (no filename) and files with a filename', async () => {
    const { body, boundary } = encodeMultipart([...fieldParts([['k', 'v']]), ...fileParts({ f: Buffer.from('x') })]);
    const form = await parse(body as Uint8Array, boundary);
    expect(typeof form.get('k')).toBe('string');
    // Requests names a bare upload after its field.
    expect((form.get('f') as File).name).toBe('f');
  });

  it('writes extra part headers after Content-Disposition and Content-Type', async () => {
    const { body, boundary } = encodeMultipart(fileParts({ f: ['a.xls', 'data', 'application/vnd.ms-excel', { Expires: '0' }] }));
    const text = Buffer.from(body as Uint8Array).toString();
    const head = text.split('\r\n\r\n')[0]!.split('\r\n');
    expect(head).toEqual([
      `--${boundary}`,
      'Content-Disposition: form-data; name="f"; filename="a.xls"',
      'Content-Type: application/vnd.ms-excel',
      'Expires: 0',
    ]);
    expect(text.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
  });

  it('escapes quotes and newlines in names as browsers do, keeping UTF-8', async () => {
    const { body, boundary } = encodeMultipart(fileParts({ 'a"b': ['ré\nsumé".txt', 'x'] }));
    const text = Buffer.from(body as Uint8Array).toString('utf8');
    expect(text).toContain('name="a%22b"; filename="ré%0Asumé%22.txt"');
    const form = await parse(body as Uint8Array, boundary);
    expect(form.has('a%22b') || form.has('a"b')).toBe(true);
  });

  it('uses a given boundary', async () => {
    const { body, boundary } = encodeMultipart(fieldParts([['a', '1']]), 'my-boundary');
    expect(boundary).toBe('my-boundary');
    expect((await parse(body as Uint8Array, 'my-boundary')).get('a')).toBe('1');
  });

  it('refuses an invalid boundary', () => {
    expect(() => encodeMultipart([], 'x'.repeat(71))).toThrow(InvalidOption);
    expect(() => encodeMultipart([], 'bad\r\nboundary')).toThrow(InvalidOption);
  });

  it('streams Blob parts with a known length and can replay them', async () => {
    const blob = new Blob(['blob content'], { type: 'text/plain' });
    const file = new File(['file content'], 'named.txt', { type: 'text/markdown' });
    const { body, boundary, length } = encodeMultipart([...fieldParts([['a', '1']]), ...fileParts({ b: blob, f: file })]);
    expect(body).not.toBeInstanceOf(Uint8Array);
    const streamed = body as { kind: string; length: number | null; replayable: boolean; source: AsyncIterable<Uint8Array> };
    expect(streamed.kind).toBe('stream');
    expect(streamed.replayable).toBe(true);
    const first = await bytesOf(streamed as never);
    const second = await bytesOf(streamed as never);
    expect(second).toEqual(first);
    expect(streamed.length).toBe(first.byteLength);
    expect(length).toBe(first.byteLength);

    const form = await parse(streamed as never, boundary);
    expect(await (form.get('b') as File).text()).toBe('blob content');
    expect((form.get('b') as File).type).toBe('text/plain');
    const f = form.get('f') as File;
    expect(f.name).toBe('named.txt');
    expect(f.type).toBe('text/markdown');
    expect(await f.text()).toBe('file content');
  });

  it('streams a Readable part one-shot with unknown length', async () => {
    const { body, boundary, length } = encodeMultipart(fileParts({ s: ['s.txt', Readable.from([Buffer.from('ab'), 'cd'])] }));
    const streamed = body as { length: number | null; replayable: boolean };
    expect(streamed.replayable).toBe(false);
    expect(streamed.length).toBeNull();
    expect(length).toBeNull();
    const form = await parse(body as never, boundary);
    expect(await (form.get('s') as File).text()).toBe('abcd');
  });

  it('knows the length of a file stream and names the part after the file', async () => {
    const path = join(dir, 'upload.txt');
    writeFileSync(path, 'hello from disk');
    const { body, boundary } = encodeMultipart(fileParts({ up: createReadStream(path) }));
    const streamed = body as { length: number | null; replayable: boolean };
    const bytes = await bytesOf(body as never);
    expect(streamed.length).toBe(bytes.byteLength);
    expect(streamed.replayable).toBe(false);
    // The stream is one-shot and bytesOf consumed it: parse those bytes.
    const form = await new Response(bytes, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }).formData();
    expect((form.get('up') as File).name).toBe('upload.txt');
    expect(await (form.get('up') as File).text()).toBe('hello from disk');
  });

  it('reports a bad chunk in a stream while streaming', async () => {
    async function* bad() {
      yield 42 as unknown as Uint8Array;
    }
    const { body } = encodeMultipart(fileParts({ s: ['s', bad()] }));
    await expect(bytesOf(body as never)).rejects.toBeInstanceOf(InvalidOption);
  });
});

describe('fileParts / fieldParts', () => {
  it('accepts a list of pairs to repeat a file field, and skips null content', () => {
    const parts = fileParts([['f', ['a.txt', 'A']], ['f', ['b.txt', 'B']], ['gone', null], ['gone2', ['x', null]]]);
    expect(parts.map((p) => [p.name, p.filename])).toEqual([['f', 'a.txt'], ['f', 'b.txt']]);
  });

  it('refuses what it cannot send, naming the entry', () => {
    expect(() => fileParts({ f: 42 })).toThrow(InvalidOption);
    expect(() => fileParts({ f: 42 })).toThrow(/"f"/);
    expect(() => fileParts({ f: ['only-a-name'] })).toThrow(InvalidOption);
    expect(() => fileParts('nope')).toThrow(InvalidOption);
    expect(() => fileParts([['a']])).toThrow(InvalidOption);
    expect(() => fieldParts([['k', { deep: 1 }]])).toThrow(/"k"/);
  });

  it('refuses a content type or part header that would break the part', () => {
    expect(() => fileParts({ f: ['a', 'x', 'text/plain\r\nX: y'] })).toThrow(InvalidHeader);
    expect(() => fileParts({ f: ['a', 'x', null, { 'Bad Name': 'v' }] })).toThrow(InvalidHeader);
  });
});

describe('boundaries', () => {
  it('makes fresh random boundaries', () => {
    const a = newBoundary();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newBoundary()).not.toBe(a);
  });

  it('reads a boundary from a Content-Type, quoted or not', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc')).toBe('abc');
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(boundaryOf('Multipart/Form-Data; BOUNDARY=xyz')).toBe('xyz');
    expect(boundaryOf('multipart/form-data')).toBeNull();
  });
});

describe('fileParts: odd input', () => {
  it('fuzz counterexample: a filename or content type that is not text ([["", [{ __proto__: null }, "", {}, []]]])', () => {
    for (const files of [[['', [Object.create(null), '', {}, []]]], { f: ['name.txt', 'x', { type: 'text/plain' }] }, { f: [1, 'x'] }]) {
      expect(() => fileParts(files)).toThrow(/files entry .*expected a string/);
    }
  });

  it('a Map of files whose key is not a name is refused', () => {
    expect(() => fileParts(new Map([[Object.create(null), 'x']]))).toThrow(/expected a \[name, value\] pair/);
  });
});
