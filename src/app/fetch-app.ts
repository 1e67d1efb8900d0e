/**
 * A fetch handler called in process: it gets a WHATWG `Request` (an upload arrives as a
 * `ReadableStream` pulled as the app reads it) and its `Response` body is read as the
 * caller takes it, so a body produced over time arrives over time.
 */
import type { FetchApp } from './app.js';
import type { AppCall } from './app-call.js';

export async function serveFetch(app: FetchApp, call: AppCall): Promise<void> {
  const { method, url, headers, body } = call.request;
  // No signal: an AbortController per request (and undici's listener bookkeeping for it)
  // cost more than everything else of an in-process call together. A request the caller
  // stops has its response body cancelled instead.
  const init: RequestInit & { duplex?: 'half' } = { method, headers: pairs(headers) };
  if (body !== null) {
    init.body = body instanceof Uint8Array ? body : ReadableStream.from(body);
    init.duplex = 'half';
  }
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let wake: (() => void) | null = null;
  call.onAbort = (reason) => {
    reader?.cancel(reason).catch(() => {});
    wake?.();
  };
  const response = await app.fetch(new Request(url, init));
  if (!(response instanceof Response)) throw new TypeError(`The app's fetch() returned ${response === null ? 'null' : typeof response}; expected a Response`);
  const raw: string[] = [];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') raw.push(name, value);
  });
  for (const cookie of response.headers.getSetCookie()) raw.push('set-cookie', cookie);
  let more = call.head(response.status, raw, response.statusText);
  if (response.body === null || call.done) {
    call.complete(null);
    return;
  }
  reader = response.body.getReader();
  call.onResume = () => {
    more = true;
    wake?.();
  };
  for (;;) {
    while (!more && !call.done) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
    if (call.done) return;
    const step = await reader.read();
    if (step.done) break;
    const v = step.value;
    more = call.data(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  }
  call.complete(null);
}

function pairs(flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
