/**
 * One request carried by the browser's `fetch`, in whichever thread runs it: the page or
 * worker of an `AsyncSession`, or the helper worker behind a sync `Session`. It does what
 * the transport workers do for the engine (time limits, the body's window and size limit,
 * errors as transport codes) and reports to a {@link CallSink}; the sink fills an Exchange
 * directly or writes frames for a blocked caller.
 */
import { TransportCode } from '../channel/error-codes.js';
import { CreditFlag } from '../channel/frames.js';
import type { CredentialsInit } from '../session/options.js';

/** A prepared request in the form fetch takes (it crosses to the helper by postMessage). */
export interface WireRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  /** A streamed body is gathered first: fetch streams uploads only over HTTP/2 and with CORS preflights. */
  body: Uint8Array | AsyncIterable<Uint8Array> | null;
  credentials: CredentialsInit;
  /** The browser follows redirects itself; when false, one is an error (it hides the response). */
  followRedirects: boolean;
  /** ms; 0: none. */
  readTimeout: number;
  /** An event stream: the read timeout covers the head only (its extension times each read). */
  eventStream: boolean;
  totalTimeout: number;
  /** The consumer streams the body: nothing is read past what it acknowledged (see credit). */
  windowed: boolean;
  maxBodySize: number;
}

export interface WireHead {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  /** The URL of the response (after redirects the browser followed). */
  url: string;
}

/** Flags of a body chunk that carries (part of) a WebSocket message. */
export const MessageFlag = { TEXT: 1, MORE: 2 } as const;

/** A WebSocket's close code and reason. */
export interface SocketClose {
  code: number;
  reason: string;
}

export interface CallSink {
  head(head: WireHead): void;
  /** `flags`: {@link MessageFlag} bits for a WebSocket message; 0 for body bytes. */
  body(bytes: Uint8Array, flags?: number): void;
  /** `close`: what the peer's close frame said, when a WebSocket closed. */
  end(close?: SocketClose): void;
  fail(code: TransportCode, message: string): void;
}

export class FetchCall {
  readonly #req: WireRequest;
  readonly #sink: CallSink;
  readonly #abort = new AbortController();
  #finished = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #totalTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bytes handed to the sink, and how many the consumer allows (Infinity: unwindowed). */
  #delivered = 0;
  #allowed: number;
  #resume: (() => void) | null = null;

  constructor(req: WireRequest, sink: CallSink) {
    this.#req = req;
    this.#sink = sink;
    this.#allowed = req.windowed ? 0 : Infinity;
    if (req.totalTimeout > 0) {
      this.#totalTimer = setTimeout(() => this.#fail(TransportCode.TIMEOUT, `Request to ${req.url} exceeded its total timeout of ${req.totalTimeout} ms`), req.totalTimeout);
    }
    void this.#run();
  }

  /** The consumer took `bytes` (the first credit opens the window; UNBOUNDED drops it). */
  credit(bytes: number, flags: number): void {
    this.#allowed = flags & CreditFlag.UNBOUNDED ? Infinity : this.#allowed + bytes;
    this.#resume?.();
  }

  /** Stops the request; the caller has set the exchange's error itself. */
  cancel(): void {
    this.#finish();
  }

  async #run(): Promise<void> {
    const req = this.#req;
    let response: Response;
    this.#arm();
    try {
      const body = req.body === null || req.body instanceof Uint8Array ? req.body : await gather(req.body);
      if (this.#finished) return;
      response = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body,
        credentials: req.credentials,
        redirect: req.followRedirects ? 'follow' : 'manual',
        signal: this.#abort.signal,
      });
    } catch (err) {
      return this.#fail(
        TransportCode.CONNECTION,
        `Could not ${req.method} ${req.url}: the browser refused the request or could not reach the server (${(err as Error).message}). ` +
          'The browser does not tell which: a network failure, a TLS failure, or a cross-origin response without CORS headers that allow this page',
      );
    }
    if (this.#finished) return;
    if (response.type === 'opaqueredirect') {
      return this.#fail(TransportCode.CONNECTION, `${req.method} ${req.url} was answered with a redirect, and the browser does not show a redirect's response to scripts: allowRedirects: false cannot be honoured here`);
    }
    this.#sink.head({ status: response.status, statusText: response.statusText, headers: [...response.headers], url: response.url || req.url });
    // An event stream's reader times each event itself (the stream stays open): the timer stops at the head.
    if (req.eventStream) clearTimeout(this.#timer);
    if (response.body === null || req.method === 'HEAD') return this.#end();
    await this.#pump(response.body.getReader());
  }

  async #pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const req = this.#req;
    for (;;) {
      while (this.#delivered >= this.#allowed && !this.#finished) await new Promise<void>((resolve) => (this.#resume = resolve));
      this.#resume = null;
      if (this.#finished) return void reader.cancel().catch(() => {});
      if (!req.eventStream) this.#arm();
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        return this.#fail(TransportCode.CONNECTION, `The body of ${req.url} broke off after ${this.#delivered} bytes: ${(err as Error).message}`);
      }
      if (this.#finished) return;
      if (chunk.done) return this.#end();
      this.#delivered += chunk.value.length;
      if (this.#delivered > req.maxBodySize) {
        void reader.cancel().catch(() => {});
        return this.#fail(TransportCode.BODY_TOO_LARGE, `The body of ${req.url} passed its maxBodySize of ${req.maxBodySize} bytes`);
      }
      this.#sink.body(chunk.value);
    }
  }

  /** The read timeout runs while the browser is fetching for us (not while the consumer holds the window shut). */
  #arm(): void {
    clearTimeout(this.#timer);
    const ms = this.#req.readTimeout;
    if (ms > 0) this.#timer = setTimeout(() => this.#fail(TransportCode.READ_TIMEOUT, `Read timed out after ${ms} ms waiting for ${this.#req.url}`), ms);
  }

  #end(): void {
    if (this.#finished) return;
    this.#finish();
    this.#sink.end();
  }

  #fail(code: TransportCode, message: string): void {
    if (this.#finished) return;
    this.#finish();
    this.#sink.fail(code, message);
  }

  #finish(): void {
    this.#finished = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#totalTimer);
    this.#abort.abort();
    this.#resume?.();
  }
}

async function gather(source: AsyncIterable<Uint8Array>): Promise<Blob> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return new Blob(parts);
}
