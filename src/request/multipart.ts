/**
 * `multipart/form-data` bodies (RFC 7578): form fields and files as parts, in memory when
 * every part is bytes, streamed when a part is a Blob or a stream (so a large upload is
 * never read whole into memory).
 *
 * @example
 * ```ts
 * const parts = [...fieldParts([['name', 'Ada']]), ...fileParts({ cv: ['cv.pdf', pdfBytes, 'application/pdf'] })];
 * const { body, boundary } = encodeMultipart(parts);
 * headers.set('Content-Type', `multipart/form-data; boundary=${boundary}`);
 * ```
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidOption, describe } from '../errors.js';
import { Headers } from '../headers.js';
import type { StreamedBody } from './prepared-request.js';

/**
 * What a file's content may be. Strings are sent as UTF-8; a Blob (or a File, or
 * `fs.openAsBlob(path)`) is streamed with a known length and can be re-sent; a Readable
 * is streamed once.
 *
 * @example
 * ```ts
 * const c: FileContent = fs.createReadStream('report.xls');
 * ```
 */
export type FileContent =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | NodeJS.ReadableStream
  | AsyncIterable<Uint8Array | string>;

/**
 * `[filename, content, contentType?, headers?]`, as in Requests.
 *
 * @example
 * ```ts
 * const t: FileTuple = ['report.xls', fs.createReadStream('report.xls'), 'application/vnd.ms-excel', { Expires: '0' }];
 * ```
 */
export type FileTuple = readonly [
  filename: string | null | undefined,
  content: FileContent | null | undefined,
  contentType?: string | null,
  headers?: Record<string, string> | Iterable<readonly [string, string]> | null,
];

/**
 * One entry of `files`: the content alone (filename guessed) or a {@link FileTuple};
 * `null` leaves the entry out.
 *
 * @example
 * ```ts
 * const v: FileValue = Buffer.from('raw bytes'); // sent with filename = the field name
 * ```
 */
export type FileValue = FileContent | FileTuple | null | undefined;

/**
 * What `files` may be: a record or a list of pairs (to repeat a field name).
 *
 * @example
 * ```ts
 * const files: FilesInit = {
 *   report: ['report.csv', 'a,b\n1,2\n', 'text/csv', { Expires: '0' }],
 *   photo: await fs.openAsBlob('photo.jpg'),
 * };
 * ```
 */
export type FilesInit = Readonly<Record<string, FileValue>> | Iterable<readonly [string, FileValue]>;

/**
 * A part's content once normalised: bytes, a Blob, or a one-shot stream of bytes.
 *
 * @example
 * ```ts
 * const c: PartContent = new Blob(['x']);
 * ```
 */
export type PartContent = Uint8Array | Blob | AsyncIterable<Uint8Array>;

/**
 * One part of a multipart body, ready to encode.
 *
 * @example
 * ```ts
 * const part: MultipartPart = { name: 'f', filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('hi'), length: 2 };
 * ```
 */
export interface MultipartPart {
  name: string;
  /** Present for files (makes servers treat the part as an upload); absent for fields. */
  filename?: string;
  contentType?: string;
  /** Extra part headers, after Content-Disposition and Content-Type. */
  headers?: readonly (readonly [string, string])[];
  content: PartContent;
  /** Bytes in `content`, or `null` when a stream does not tell. */
  length: number | null;
}

/**
 * The encoded body, with the boundary it uses (for the Content-Type header).
 *
 * @example
 * ```ts
 * const { body, boundary, length }: EncodedMultipart = encodeMultipart(parts);
 * ```
 */
export interface EncodedMultipart {
  body: Uint8Array | StreamedBody;
  boundary: string;
  /** Total length in bytes, or `null` when a streamed part's length is unknown. */
  length: number | null;
}

const CRLF = Buffer.from('\r\n');
// RFC 2046 boundary characters; we also check the length (1..70).
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/**
 * A fresh random boundary, long enough that it cannot plausibly occur in the content.
 *
 * @example
 * ```ts
 * newBoundary(); // e.g. '9b1c5a0e3f7d4e2a8c6b0d1f2e3a4b5c'
 * ```
 */
export function newBoundary(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The boundary a `multipart/*` Content-Type names, unquoted, or `null` when it names none.
 *
 * @example
 * ```ts
 * boundaryOf('multipart/form-data; boundary="abc"'); // 'abc'
 * ```
 */
export function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary=(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(contentType);
  if (!m) return null;
  const value = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!;
  if (!BOUNDARY.test(value)) {
    throw new InvalidOption(`Invalid multipart boundary ${describe(value)} in Content-Type: expected 1 to 70 RFC 2046 characters`);
  }
  return value;
}

/**
 * Parts for plain form fields (no filename): each value is text (numbers and booleans
 * stringified) or bytes; `null`/`undefined` is skipped and an array repeats the name.
 *
 * @example
 * ```ts
 * fieldParts([['tag', ['a', 'b']], ['n', 1]]); // three parts: tag=a, tag=b, n=1
 * ```
 */
export function fieldParts(fields: Iterable<readonly [string, unknown]>): MultipartPart[] {
  const parts: MultipartPart[] = [];
  for (const [name, value] of fields) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v === null || v === undefined) continue;
      const content = fieldBytes(name, v);
      parts.push({ name, content, length: content.byteLength });
    }
  }
  return parts;
}

/**
 * Parts for `files`. The filename is the tuple's, else the File's or file stream's own
 * name, else the field name (as Requests does). An entry whose content is `null` is skipped.
 *
 * @example
 * ```ts
 * fileParts({ a: Buffer.from('x'), b: ['b.txt', 'text', 'text/plain'] });
 * ```
 */
export function fileParts(files: unknown): MultipartPart[] {
  const parts: MultipartPart[] = [];
  for (const [name, value] of entriesOf(files, 'files')) {
    let filename: string | null | undefined;
    let raw: unknown;
    let contentType: string | null | undefined;
    let extra: unknown;
    if (Array.isArray(value)) {
      if (value.length < 2 || value.length > 4) {
        throw new InvalidOption(`Invalid files entry ${JSON.stringify(name)}: expected [filename, content, contentType?, headers?], got ${describe(value)}`);
      }
      [filename, raw, contentType, extra] = value;
      for (const [what, v] of [['filename', filename], ['content type', contentType]] as const) {
        if (v !== undefined && v !== null && typeof v !== 'string') {
          throw new InvalidOption(`Invalid files entry ${JSON.stringify(name)}: its ${what} is ${describe(v)}; expected a string`);
        }
      }
    } else {
      raw = value;
    }
    if (raw === null || raw === undefined) continue;
    const content = partContent(raw, `files entry ${JSON.stringify(name)}`);
    if (filename === undefined || filename === null) filename = guessFilename(raw) ?? name;
    if ((contentType === undefined || contentType === null) && isBlob(raw) && raw.type) contentType = raw.type;
    if (contentType) Headers.validate('Content-Type', String(contentType));
    parts.push({
      name,
      filename: String(filename),
      ...(contentType ? { contentType: String(contentType) } : {}),
      ...(extra ? { headers: [...new Headers(extra as any).rawEntries()] } : {}),
      content: content.content,
      length: content.length,
    });
  }
  return parts;
}

/**
 * Encodes parts with a boundary (a new one unless given). All-bytes parts give one
 * `Uint8Array`; otherwise a {@link StreamedBody}, whose length is known when every
 * part's is and which is replayable when no part is a one-shot stream.
 *
 * @example
 * ```ts
 * const { body, boundary } = encodeMultipart(fieldParts([['a', '1']]));
 * await new Response(body as Uint8Array, {
 *   headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
 * }).formData(); // FormData { a: '1' }
 * ```
 */
export function encodeMultipart(parts: readonly MultipartPart[], boundary: string = newBoundary()): EncodedMultipart {
  if (!BOUNDARY.test(boundary)) {
    throw new InvalidOption(`Invalid multipart boundary ${describe(boundary)}: expected 1 to 70 RFC 2046 characters`);
  }
  const segments: PartContent[] = [];
  for (const part of parts) {
    segments.push(Buffer.from(`--${boundary}\r\n${partHead(part)}\r\n`, 'utf8'), part.content, CRLF);
  }
  segments.push(Buffer.from(`--${boundary}--\r\n`));

  if (segments.every((s) => s instanceof Uint8Array)) {
    const body = Buffer.concat(segments as Uint8Array[]);
    return { body, boundary, length: body.byteLength };
  }

  let length: number | null = 0;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const n = s instanceof Uint8Array ? s.byteLength : isBlob(s) ? s.size : null;
    // The content segment of a part is at 3k+1; a stream there may know its length.
    const known = n ?? (i % 3 === 1 ? parts[(i - 1) / 3]!.length : null);
    length = length === null || known === null ? null : length + known;
  }
  const replayable = segments.every((s) => s instanceof Uint8Array || isBlob(s));
  const source: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      for (const s of segments) {
        if (s instanceof Uint8Array) yield s;
        else if (isBlob(s)) yield* blobChunks(s);
        else yield* s;
      }
    },
  };
  const body: StreamedBody = { kind: 'stream', source, length, replayable };
  return { body, boundary, length };
}

/**
 * Normalises one piece of content (a file's, or a streamed `data`) into bytes, a Blob or
 * a stream of byte chunks, with its length when it can be known without reading it.
 * @internal
 */
export function partContent(raw: unknown, what: string): { content: PartContent; length: number | null } {
  if (typeof raw === 'string') {
    const b = Buffer.from(raw, 'utf8');
    return { content: b, length: b.byteLength };
  }
  if (raw instanceof Uint8Array) return { content: raw, length: raw.byteLength };
  if (raw instanceof ArrayBuffer) return { content: new Uint8Array(raw), length: raw.byteLength };
  if (ArrayBuffer.isView(raw)) {
    const b = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    return { content: b, length: b.byteLength };
  }
  if (isBlob(raw)) return { content: raw, length: raw.size };
  if (isAsyncIterable(raw) || isGenerator(raw)) {
    return { content: byteChunks(raw as AsyncIterable<unknown>, what), length: fileStreamLength(raw) };
  }
  throw new InvalidOption(
    `Invalid ${what}: ${describe(raw)} (expected a string, bytes, a Blob, a Readable or an async iterable of bytes)`,
  );
}

/** Whether a value is a Blob (a File too), across realms. @internal */
export function isBlob(value: unknown): value is Blob {
  return (
    typeof Blob !== 'undefined' &&
    (value instanceof Blob ||
      (typeof value === 'object' && value !== null &&
        typeof (value as any).arrayBuffer === 'function' && typeof (value as any).stream === 'function' &&
        typeof (value as any).size === 'number'))
  );
}

/** Whether a value can be read with `for await`. @internal */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as any)[Symbol.asyncIterator] === 'function';
}

/** A sync generator object: a stream of chunks, as Requests accepts for chunked uploads. @internal */
export function isGenerator(value: unknown): value is Generator<unknown> {
  return Object.prototype.toString.call(value) === '[object Generator]';
}

/** Reads a Blob chunk by chunk; each call starts over, which is what makes it replayable. @internal */
export async function* blobChunks(blob: Blob): AsyncGenerator<Uint8Array> {
  // Node's Blob stream yields Uint8Array chunks; no copy needed.
  for await (const chunk of blob.stream() as unknown as AsyncIterable<Uint8Array>) yield chunk;
}

/** Wraps a stream so every chunk comes out as bytes (strings as UTF-8). @internal */
export async function* byteChunks(source: AsyncIterable<unknown> | Iterable<unknown>, what: string): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    if (chunk instanceof Uint8Array) yield chunk;
    else if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else if (ArrayBuffer.isView(chunk)) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else if (chunk instanceof ArrayBuffer) yield new Uint8Array(chunk);
    else throw new InvalidOption(`Invalid chunk in ${what}: ${describe(chunk)} (expected bytes or a string)`);
  }
}

/**
 * The length of an unread `fs.ReadStream`, from the file's size and the stream's range,
 * so that a file upload gets a Content-Length instead of chunked framing (as Requests
 * does with `fstat`); `null` for any other stream.
 * @internal
 */
export function fileStreamLength(stream: unknown): number | null {
  const s = stream as { path?: unknown; bytesRead?: unknown; start?: unknown; end?: unknown; fd?: unknown };
  if (typeof s?.path !== 'string' || s.bytesRead !== 0) return null;
  try {
    const size = statSync(s.path).size;
    const start = typeof s.start === 'number' ? s.start : 0;
    const end = typeof s.end === 'number' && Number.isFinite(s.end) ? Math.min(s.end + 1, size) : size;
    return Math.max(0, end - start);
  } catch {
    return null;
  }
}

function partHead(part: MultipartPart): string {
  const has = new Set((part.headers ?? []).map(([k]) => k.toLowerCase()));
  let head = '';
  if (!has.has('content-disposition')) {
    head += `Content-Disposition: form-data; name="${escapeParam(part.name)}"`;
    if (part.filename !== undefined) head += `; filename="${escapeParam(part.filename)}"`;
    head += '\r\n';
  }
  if (part.contentType && !has.has('content-type')) head += `Content-Type: ${part.contentType}\r\n`;
  for (const [k, v] of part.headers ?? []) head += `${k}: ${v}\r\n`;
  return head;
}

// The HTML form encoding rule (what browsers and undici send): names stay UTF-8, and only
// the characters that would end the quoted string or the header line are escaped.
function escapeParam(value: string): string {
  return value.replace(/[\r\n"]/g, (c) => ({ '\r': '%0D', '\n': '%0A', '"': '%22' })[c]!);
}

function fieldBytes(name: string, v: unknown): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return Buffer.from(String(v));
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new InvalidOption(
    `Invalid value for form field ${JSON.stringify(name)}: ${describe(v)} (expected a string, number, boolean or bytes; use files= for uploads)`,
  );
}

function guessFilename(raw: unknown): string | null {
  const named = raw as { name?: unknown; path?: unknown };
  // A File has a name; an fs.ReadStream has the path it reads.
  if (isBlob(raw) && typeof named.name === 'string' && named.name) return named.name;
  if (typeof named?.path === 'string' && named.path && !named.path.startsWith('<')) return basename(named.path);
  return null;
}

/** The entries of a record, a Map or a list of pairs, checked. @internal */
export function entriesOf(value: unknown, option: string): [string, unknown][] {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOption(`Invalid ${option} ${describe(value)}: expected a record or a list of [name, value] pairs`);
  }
  if (Array.isArray(value) || typeof (value as any)[Symbol.iterator] === 'function') {
    const out: [string, unknown][] = [];
    for (const pair of value as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2 || (typeof pair[0] !== 'string' && typeof pair[0] !== 'number')) {
        throw new InvalidOption(`Invalid ${option} entry ${describe(pair)}: expected a [name, value] pair`);
      }
      out.push([String(pair[0]), pair[1]]);
    }
    return out;
  }
  // Only a plain record: a Date or a class instance has no fields to send.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new InvalidOption(`Invalid ${option} ${describe(value)}: expected a record or a list of [name, value] pairs`);
  }
  return Object.entries(value);
}
