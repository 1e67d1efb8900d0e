/**
 * The body step of preparing a request: turns `data`, `json` and `files` into the bytes or
 * stream that will be sent, and sets Content-Type and Content-Length the way Requests
 * does, so that a server sees the same request from nodequests as from Requests.
 *
 * @example
 * ```ts
 * const headers = new Headers();
 * const body = encodeBody({ data: { q: 'a b', tag: ['x', 'y'] } }, headers, 'POST');
 * Buffer.from(body as Uint8Array).toString(); // 'q=a+b&tag=x&tag=y'
 * headers.get('content-type');                 // 'application/x-www-form-urlencoded'
 * headers.get('content-length');               // '17'
 * ```
 */
import { InvalidOption, describe } from '../errors.js';
import type { Headers } from '../headers.js';
import {
  blobChunks, boundaryOf, byteChunks, encodeMultipart, entriesOf, fieldParts, fileParts,
  fileStreamLength, isAsyncIterable, isBlob, isGenerator, type MultipartPart,
} from './multipart.js';
import type { RequestBody, StreamedBody } from './prepared-request.js';

/**
 * The body options of a request, as the user gave them.
 *
 * @example
 * ```ts
 * const input: BodyInput = { data: { field: 'v' }, files: { upload: ['a.txt', 'text'] } };
 * ```
 */
export interface BodyInput {
  /**
   * string or bytes (sent as given), a record or list of pairs (form-encoded, or
   * multipart when Content-Type says `multipart/form-data`), `URLSearchParams`,
   * `FormData`, or a Blob / Readable / async iterable (streamed).
   */
  data?: unknown;
  /** Any JSON value; ignored when `data` or `files` is given. */
  json?: unknown;
  /** See {@link FilesInit}. */
  files?: unknown;
}

// As in Requests: a request without a body says `Content-Length: 0` unless its method
// does not expect one.
const NO_BODY_METHODS = new Set(['GET', 'HEAD']);

/**
 * Encodes the body of a request and sets its Content-Type (unless the user set one) and
 * Content-Length on `headers`.
 *
 * - string / bytes: sent as given, no Content-Type added.
 * - record or pairs: `application/x-www-form-urlencoded`, or multipart when the
 *   Content-Type header already says `multipart/form-data` (its boundary is reused).
 * - `json`: `application/json`; NaN and ±Infinity are refused.
 * - `files`: `multipart/form-data`, with `data` (a record or pairs) as plain fields.
 * - Blob / Readable / async iterable: a {@link StreamedBody}, chunked unless its length is
 *   known (a Blob, a file stream, or a Content-Length the user set).
 *
 * Content-Length: the body's length when known (replacing a user value, which could
 * only be wrong); none on GET/HEAD without a body; `0` on other methods without one,
 * unless the user set a value.
 *
 * @throws InvalidOption naming the option and the value that cannot be encoded.
 *
 * @example
 * ```ts
 * const h = new Headers();
 * encodeBody({ json: { a: 1 } }, h, 'POST'); // Uint8Array of '{"a":1}'
 * h.get('content-type');                      // 'application/json'
 * ```
 */
export function encodeBody(input: BodyInput, headers: Headers, method: string): RequestBody {
  const body = encode(input, headers);
  setContentLength(body, headers, method.toUpperCase());
  // An empty body is no body: the transport then need not frame anything.
  if (body instanceof Uint8Array && body.byteLength === 0) return null;
  if (body && !(body instanceof Uint8Array) && body.length === null) return withUserLength(body, headers);
  return body;
}

function encode({ data, json, files }: BodyInput, headers: Headers): RequestBody {
  if (given(files)) return multipart(data, files, headers);
  if (given(data)) return encodeData(data, headers);
  // Requests treats `json=None` as "not given"; null and undefined are both JS's None.
  if (json !== undefined && json !== null) {
    const body = Buffer.from(encodeJson(json), 'utf8');
    setDefault(headers, 'Content-Type', 'application/json');
    return body;
  }
  return null;
}

function encodeData(data: unknown, headers: Headers): RequestBody {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (isBlob(data)) {
    const blob = data;
    if (blob.type) setDefault(headers, 'Content-Type', blob.type);
    return { kind: 'stream', source: { [Symbol.asyncIterator]: () => blobChunks(blob) }, length: blob.size, replayable: true };
  }
  if (typeof FormData !== 'undefined' && data instanceof FormData) return multipartOf(formDataParts(data), headers);
  if (data instanceof URLSearchParams) return form(data.toString(), headers);
  if (isAsyncIterable(data) || isGenerator(data)) {
    const stream = data;
    return {
      kind: 'stream',
      source: { [Symbol.asyncIterator]: () => byteChunks(stream, 'data')[Symbol.asyncIterator]() },
      length: fileStreamLength(stream),
      replayable: false,
    };
  }
  if (typeof data === 'object' && data !== null) {
    const entries = entriesOf(data, 'data');
    if (isMultipart(headers)) return multipartOf(fieldParts(entries), headers);
    return form(formEncode(entries), headers);
  }
  throw new InvalidOption(
    `Invalid data ${describe(data)}: expected a string, bytes, a record or list of pairs, URLSearchParams, FormData, a Blob, a Readable or an async iterable`,
  );
}

function multipart(data: unknown, files: unknown, headers: Headers): RequestBody {
  let fields: [string, unknown][] = [];
  if (given(data)) {
    if (typeof data !== 'object' || data instanceof Uint8Array || isBlob(data) || isAsyncIterable(data) || isGenerator(data)) {
      throw new InvalidOption(`Invalid data ${describe(data)} with files: expected a record or a list of pairs to send as form fields`);
    }
    fields = entriesOf(data, 'data');
  }
  // Fields first, then files, as Requests orders them.
  return multipartOf([...fieldParts(fields), ...(given(files) ? fileParts(files) : [])], headers);
}

function multipartOf(parts: MultipartPart[], headers: Headers): RequestBody {
  const userType = headers.get('content-type');
  const reuse = userType && isMultipart(headers) ? boundaryOf(userType) : null;
  const { body, boundary } = encodeMultipart(parts, reuse ?? undefined);
  if (!userType) headers.set('Content-Type', `multipart/form-data; boundary=${boundary}`);
  // The user asked for multipart but left the boundary to us: it must be in the header.
  else if (isMultipart(headers) && !reuse) headers.set('Content-Type', `${userType.replace(/;\s*$/, '')}; boundary=${boundary}`);
  return body;
}

// FormData keeps its own order, with File entries as uploads.
function formDataParts(fd: FormData): MultipartPart[] {
  const parts: MultipartPart[] = [];
  for (const [name, value] of fd.entries()) {
    parts.push(...(typeof value === 'string' ? fieldParts([[name, value]]) : fileParts([[name, value]])));
  }
  return parts;
}

function form(encoded: string, headers: Headers): Uint8Array {
  setDefault(headers, 'Content-Type', 'application/x-www-form-urlencoded');
  return Buffer.from(encoded, 'utf8');
}

/** Form-encodes pairs: arrays repeat the key, `null`/`undefined` are left out. */
function formEncode(entries: Iterable<[string, unknown]>): string {
  const out = new URLSearchParams();
  for (const [key, value] of entries) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v === null || v === undefined) continue;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out.append(key, String(v));
      else if (v instanceof Uint8Array) out.append(key, Buffer.from(v).toString('utf8'));
      else {
        throw new InvalidOption(`Invalid value for form field ${JSON.stringify(key)}: ${describe(v)} (expected a string, number, boolean or bytes)`);
      }
    }
  }
  return out.toString();
}

/**
 * `JSON.stringify` that refuses what JSON cannot carry instead of quietly sending `null`
 * (NaN, ±Infinity) or nothing (a function, `undefined`), as Python's `allow_nan=False` does.
 */
function encodeJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new InvalidOption(
          `Invalid json: ${String(v)} is not a valid JSON value${key ? ` (at key ${JSON.stringify(key)})` : ''}; NaN and Infinity cannot be sent`,
        );
      }
      return v;
    });
  } catch (err) {
    if (err instanceof InvalidOption) throw err;
    throw new InvalidOption(`Invalid json ${describe(value)}: ${(err as Error).message}`, { cause: err });
  }
  if (text === undefined) throw new InvalidOption(`Invalid json ${describe(value)}: it has no JSON form`);
  return text;
}

function setContentLength(body: RequestBody, headers: Headers, method: string): void {
  const length = body === null ? null : body instanceof Uint8Array ? body.byteLength : body.length;
  if (length !== null && length > 0) headers.set('Content-Length', String(length));
  else if (body !== null && length === null) {
    // A stream of unknown length is sent chunked unless the user promised a length.
  } else if (!NO_BODY_METHODS.has(method) && !headers.has('content-length')) headers.set('Content-Length', '0');
}

// A stream of unknown length with a user-set Content-Length: trust the user, so that the
// transport sends exactly that many bytes instead of chunked framing.
function withUserLength(body: StreamedBody, headers: Headers): StreamedBody {
  const value = headers.get('content-length');
  if (value === undefined) return body;
  if (!/^\d+$/.test(value.trim())) {
    throw new InvalidOption(`Invalid Content-Length header ${describe(value)} for a streamed body: expected a whole number of bytes`);
  }
  return { ...body, length: Number(value.trim()) };
}

function setDefault(headers: Headers, name: string, value: string): void {
  if (!headers.has(name)) headers.set(name, value);
}

function isMultipart(headers: Headers): boolean {
  return /^\s*multipart\/form-data\b/i.test(headers.get('content-type') ?? '');
}

/** Requests' truthiness: `None`, `''`, `b''`, `{}` and `[]` are "not given". */
function given(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return value.byteLength > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.keys(value).length > 0;
  return true;
}
