/**
 * The command line's side of `r.extension`: `nodequests get wss://…` prints each message on
 * its own line as it comes and sends each line of stdin as a text message (the end of stdin
 * closes the WebSocket); `nodequests get sse://…` prints each event's data. Binary messages
 * are printed as base64. A refused upgrade prints its status and body, and exits 1.
 *
 * @example
 * ```sh
 * echo hello | nodequests get ws://127.0.0.1:8080/echo     # prints: hello
 * nodequests get sse://stream.example/feed                 # prints each event's data
 * ```
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { AsyncResponse } from '../response/async-response.js';
import type { AsyncServerSentEvents, AsyncWebSocket } from '../extensions/extension.js';

const SCHEMES = /^(wss?|ws\+unix|wss\+rfc8441|sse|psse|psse\+unix):/i;

/** The part of `nodequests --help` on WebSockets and event streams. */
export const EXTENSION_HELP = `WebSockets and event streams (a URL of one of these schemes):
  ws://  wss://  ws+unix://  wss+rfc8441:// (over HTTP/2)
              a WebSocket: nodequests get wss://... converses, sending each line of stdin
              as a text message (the end of stdin closes it) and printing each message on
              stdout as it comes, one a line (binary ones as base64)
  sse:// (over https)  psse:// (over http)  psse+unix://
              an event stream: prints each event's data, one a line, until the stream ends
  A refused upgrade prints its status and body and exits 1.
  example: echo hello | nodequests get wss://echo.example/`;

/** Whether the URL opens a WebSocket or an event stream (and so is printed as one). */
export function opensExtension(url: string): boolean {
  return SCHEMES.test(url.trim());
}

/** Prints messages or events of a response one per line; for a WebSocket, sends stdin lines. */
export async function printExtension(r: AsyncResponse, io: { stdin: Readable; stdout: Writable; stderr: Writable } = process): Promise<number> {
  const ext = r.extension;
  if (ext === null) {
    io.stderr.write(`${r.httpVersion} ${r.statusCode} ${r.reason}\n`);
    io.stdout.write(await r.content());
    return r.ok ? 0 : 1;
  }
  if (ext.kind === 'sse') return printEvents(ext, io.stdout);
  return converse(ext, io);
}

async function printEvents(events: AsyncServerSentEvents, out: Writable): Promise<number> {
  for await (const e of events) out.write(`${e.data}\n`);
  return 0;
}

async function converse(ws: AsyncWebSocket, io: { stdin: Readable; stdout: Writable }): Promise<number> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  const sending = (async () => {
    for await (const line of lines) {
      if (ws.closed) break;
      await ws.sendPayload(line);
    }
    await ws.close();
  })();
  try {
    for await (const m of ws) io.stdout.write(typeof m === 'string' ? `${m}\n` : `${Buffer.from(m).toString('base64')}\n`);
  } finally {
    // The peer closed: stdin is no longer read.
    lines.close();
  }
  await sending.catch(() => {});
  return 0;
}
