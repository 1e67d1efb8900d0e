import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBody } from '../../dist/src/request/body.js';
import { Headers } from '../../dist/src/headers.js';
import { InvalidOption } from '../../dist/src/errors.js';

type Streamed = { kind: 'stream'; source: AsyncIterable<Uint8Array>; length: number | null; replayable: boolean };

async function bytesOf(body: unknown): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Uint8Array[] = [];
  for await (const c of (body as Streamed).source) chunks.push(c);
  return Buffer.concat(chunks);
}

function encode(input: Parameters<typeof encodeBody>[0], method = 'POST', init?: Record<string, string>) {
  const headers = new Headers(init);
  const body = encodeBody(input, headers, method);
  return { body, headers };
}

const dir = mkdtempSync(join(tmpdir(), 'nq-body-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('data as string or bytes', () => {
  it('sends a string as UTF-8 without adding a Content-Type', () => {
    const { body, headers } = encode({ data: '{"some":"données"}' });
    expect(Buffer.from(body as Uint8Array).toString()).toBe('{"some":"données"}');
    expect(headers.has('content-type')).toBe(false);
    expect(headers.get('content-length')).toBe(String(Buffer.byteLength('{"some":"données"}')));
  });

  it('sends bytes as given', () => {
    const data = Buffer.from([1, 2, 3]);
    const { body, headers } = encode({ data });
    expect(body).toBe(data);
    expect(headers.get('content-length')).toBe('3');
    const u8 = new Uint8Array([9, 8]);
    expect(encode({ data: u8 }).body).toBe(u8);
  });

  it('keeps a Content-Type the user set', () => {
    const { headers } = encode({ data: '<x/>' }, 'POST', { 'Content-Type': 'application/xml' });
    expect(headers.get('content-type')).toBe('application/xml');
  });
});

describe('data as a form', () => {
  it('form-encodes a record, repeating keys for arrays and dropping null', async () => {
    const { body, headers } = encode({ data: { key1: 'value1', key2: ['value2', 'value3'], gone: null, n: 3, sp: 'a b&c' } });
    expect(Buffer.from(body as Uint8Array).toString()).toBe('key1=value1&key2=value2&key2=value3&n=3&sp=a+b%26c');
    expect(headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(headers.get('content-length')).toBe(String((body as Uint8Array).byteLength));
  });

  it('gives the same body for pairs and for a record of arrays', () => {
    const a = encode({ data: [['key1', 'value1'], ['key1', 'value2']] }).body;
    const b = encode({ data: { key1: ['value1', 'value2'] } }).body;
    expect(Buffer.from(a as Uint8Array).toString()).toBe(Buffer.from(b as Uint8Array).toString());
  });

  it('accepts URLSearchParams and a Map', () => {
    expect(Buffer.from(encode({ data: new URLSearchParams({ a: '1' }) }).body as Uint8Array).toString()).toBe('a=1');
    expect(Buffer.from(encode({ data: new Map([['m', 'v']]) }).body as Uint8Array).toString()).toBe('m=v');
  });

  it('sends multipart when the Content-Type says so, adding a boundary', async () => {
    const { body, headers } = encode({ data: { some: 'data', list: ['a', 'b'] } }, 'POST', { 'Content-Type': 'multipart/form-data' });
    const ct = headers.get('content-type')!;
    expect(ct).toMatch(/^multipart\/form-data; boundary=[0-9a-f]{32}$/);
    const form = await new Response(await bytesOf(body), { headers: { 'content-type': ct } }).formData();
    expect(form.get('some')).toBe('data');
    expect(form.getAll('list')).toEqual(['a', 'b']);
  });

  it('reuses the boundary given in the Content-Type', async () => {
    const { body, headers } = encode({ data: { a: '1' } }, 'POST', { 'content-type': 'multipart/form-data; boundary=given123' });
    expect(headers.get('content-type')).toBe('multipart/form-data; boundary=given123');
    expect(Buffer.from(body as Uint8Array).toString()).toContain('--given123\r\n');
    const form = await new Response(await bytesOf(body), { headers: { 'content-type': headers.get('content-type')! } }).formData();
    expect(form.get('a')).toBe('1');
  });

  it('sends FormData as multipart in its own order', async () => {
    const fd = new FormData();
    fd.append('first', '1');
    fd.append('file', new File(['abc'], 'a.txt', { type: 'text/plain' }));
    fd.append('last', '2');
    const { body, headers } = encode({ data: fd });
    const raw = await bytesOf(body);
    const text = raw.toString();
    expect(text.indexOf('name="first"')).toBeLessThan(text.indexOf('name="file"'));
    expect(text.indexOf('name="file"')).toBeLessThan(text.indexOf('name="last"'));
    const form = await new Response(raw, { headers: { 'content-type': headers.get('content-type')! } }).formData();
    expect(await (form.get('file') as File).text()).toBe('abc');
  });

  it('refuses a nested value, naming the field', () => {
    expect(() => encode({ data: { a: { b: 1 } } })).toThrow(InvalidOption);
    expect(() => encode({ data: { a: { b: 1 } } })).toThrow(/"a"/);
  });
});

describe('json', () => {
  it('encodes JSON with application/json', () => {
    const { body, headers } = encode({ json: { some: 'data', n: [1, 2], u: 'é' } });
    expect(JSON.parse(Buffer.from(body as Uint8Array).toString())).toEqual({ some: 'data', n: [1, 2], u: 'é' });
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('content-length')).toBe(String((body as Uint8Array).byteLength));
  });

  it('keeps a Content-Type the user set', () => {
    expect(encode({ json: [] }, 'POST', { 'Content-Type': 'application/vnd.api+json' }).headers.get('content-type')).toBe('application/vnd.api+json');
  });

  it.each([NaN, Infinity, -Infinity])('refuses %s with InvalidOption naming the problem', (bad) => {
    expect(() => encode({ json: { deep: { value: bad } } })).toThrow(InvalidOption);
    expect(() => encode({ json: { deep: { value: bad } } })).toThrow(new RegExp(`${String(bad)}.*"value"`));
    expect(() => encode({ json: bad })).toThrow(InvalidOption);
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => encode({ json: { big: 1n } })).toThrow(InvalidOption);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => encode({ json: circular })).toThrow(InvalidOption);
    expect(() => encode({ json: () => 1 })).toThrow(InvalidOption);
  });

  it('is ignored when data or files is given', () => {
    const withData = encode({ data: { a: '1' }, json: { b: 2 } });
    expect(Buffer.from(withData.body as Uint8Array).toString()).toBe('a=1');
    expect(withData.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    const withFiles = encode({ files: { f: 'x' }, json: { b: 2 } });
    expect(withFiles.headers.get('content-type')).toMatch(/^multipart\/form-data/);
  });

  it('is used when data is empty, as in Requests', () => {
    expect(encode({ data: '', json: { b: 2 } }).headers.get('content-type')).toBe('application/json');
  });

  it('sends falsy JSON values that are not null', () => {
    expect(Buffer.from(encode({ json: 0 }).body as Uint8Array).toString()).toBe('0');
    expect(Buffer.from(encode({ json: false }).body as Uint8Array).toString()).toBe('false');
    expect(encode({ json: null }).body).toBeNull();
  });
});

describe('files', () => {
  it('sends multipart with data as fields first', async () => {
    const { body, headers } = encode({
      data: { field: 'v' },
      files: { report: ['report.xls', Buffer.from('xls'), 'application/vnd.ms-excel', { Expires: '0' }] },
    });
    const ct = headers.get('content-type')!;
    const raw = await bytesOf(body);
    expect(raw.toString().indexOf('name="field"')).toBeLessThan(raw.toString().indexOf('name="report"'));
    const form = await new Response(raw, { headers: { 'content-type': ct } }).formData();
    expect(form.get('field')).toBe('v');
    const f = form.get('report') as File;
    expect(f.name).toBe('report.xls');
    expect(f.type).toBe('application/vnd.ms-excel');
    expect(headers.get('content-length')).toBe(String(raw.byteLength));
  });

  it('refuses data that cannot be form fields next to files', () => {
    expect(() => encode({ data: 'raw', files: { f: 'x' } })).toThrow(InvalidOption);
    expect(() => encode({ data: Readable.from(['x']), files: { f: 'x' } })).toThrow(InvalidOption);
  });

  it('with a Readable part is a streamed body of unknown length', () => {
    const { body, headers } = encode({ files: { f: Readable.from(['abc']) } });
    expect((body as Streamed).kind).toBe('stream');
    expect((body as Streamed).length).toBeNull();
    expect((body as Streamed).replayable).toBe(false);
    expect(headers.has('content-length')).toBe(false);
  });

  it('with Blob parts has a known length and is replayable', async () => {
    const { body, headers } = encode({ files: { f: new Blob(['abc']) } });
    const s = body as Streamed;
    expect(s.replayable).toBe(true);
    const bytes = await bytesOf(s);
    expect(s.length).toBe(bytes.byteLength);
    expect(headers.get('content-length')).toBe(String(bytes.byteLength));
  });
});

describe('streamed data', () => {
  it('sends a Readable chunked (length unknown), not replayable', async () => {
    const { body, headers } = encode({ data: Readable.from([Buffer.from('ab'), 'cd']) });
    const s = body as Streamed;
    expect(s.kind).toBe('stream');
    expect(s.length).toBeNull();
    expect(s.replayable).toBe(false);
    expect(headers.has('content-length')).toBe(false);
    expect(headers.has('content-type')).toBe(false);
    expect((await bytesOf(s)).toString()).toBe('abcd');
  });

  it('sends an async generator and a sync generator', async () => {
    async function* agen() {
      yield 'x';
      yield new Uint8Array([0x79]);
    }
    function* gen() {
      yield 'p';
      yield 'q';
    }
    expect((await bytesOf(encode({ data: agen() }).body)).toString()).toBe('xy');
    expect((await bytesOf(encode({ data: gen() }).body)).toString()).toBe('pq');
  });

  it('takes a Content-Length the user set as the length of a stream', () => {
    const { body, headers } = encode({ data: Readable.from(['abcd']) }, 'PUT', { 'Content-Length': '4' });
    expect((body as Streamed).length).toBe(4);
    expect(headers.get('content-length')).toBe('4');
    expect(() => encode({ data: Readable.from(['x']) }, 'PUT', { 'Content-Length': 'lots' })).toThrow(InvalidOption);
  });

  it('knows the length of a file stream', async () => {
    const path = join(dir, 'f.bin');
    writeFileSync(path, Buffer.alloc(1234, 7));
    const { body, headers } = encode({ data: createReadStream(path) }, 'PUT');
    expect((body as Streamed).length).toBe(1234);
    expect(headers.get('content-length')).toBe('1234');
    expect((await bytesOf(body)).byteLength).toBe(1234);
    const ranged = encode({ data: createReadStream(path, { start: 10, end: 19 }) }, 'PUT');
    expect((ranged.body as Streamed).length).toBe(10);
    expect((await bytesOf(ranged.body)).byteLength).toBe(10);
  });

  it('streams a Blob with its length, replayably, with its type', async () => {
    const { body, headers } = encode({ data: new Blob(['hello'], { type: 'text/plain' }) });
    const s = body as Streamed;
    expect(s.length).toBe(5);
    expect(s.replayable).toBe(true);
    expect(headers.get('content-length')).toBe('5');
    expect(headers.get('content-type')).toBe('text/plain');
    expect((await bytesOf(s)).toString()).toBe('hello');
    expect((await bytesOf(s)).toString()).toBe('hello');
  });
});

describe('Content-Length without a body', () => {
  it.each(['GET', 'HEAD', 'get'])('sets none on %s', (method) => {
    const { body, headers } = encode({}, method);
    expect(body).toBeNull();
    expect(headers.has('content-length')).toBe(false);
  });

  it.each(['POST', 'PUT', 'PATCH', 'OPTIONS', 'DELETE', 'post'])('sets 0 on %s', (method) => {
    const { body, headers } = encode({}, method);
    expect(body).toBeNull();
    expect(headers.get('content-length')).toBe('0');
  });

  it('keeps a value the user set', () => {
    expect(encode({}, 'POST', { 'Content-Length': '0' }).headers.get('content-length')).toBe('0');
    expect(encode({}, 'GET', { 'Content-Length': '0' }).headers.get('content-length')).toBe('0');
  });

  it('treats empty data as no body', () => {
    for (const data of ['', Buffer.alloc(0), {}, []]) {
      const { body, headers } = encode({ data }, 'POST');
      expect(body).toBeNull();
      expect(headers.get('content-length')).toBe('0');
      expect(encode({ data }, 'GET').headers.has('content-length')).toBe(false);
    }
  });

  it('replaces a wrong user value when the length is known', () => {
    expect(encode({ data: 'abc' }, 'POST', { 'Content-Length': '99' }).headers.get('content-length')).toBe('3');
  });
});

describe('bad input', () => {
  it.each([42, true, Symbol('s'), () => 1, new Date()])('refuses data %s with InvalidOption', (data) => {
    expect(() => encode({ data })).toThrow(InvalidOption);
  });

  it('refuses bad files with InvalidOption', () => {
    expect(() => encode({ files: 'nope' })).toThrow(InvalidOption);
    expect(() => encode({ files: { f: 12 } })).toThrow(InvalidOption);
  });
});
