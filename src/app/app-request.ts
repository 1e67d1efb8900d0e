/**
 * One request to an app and where its answer goes. The answer is told through the callbacks
 * of an undici dispatch handler, so the transport workers hand a module app the very
 * handler they give undici (windows, read timeout, decoding and frames come with it), and
 * the main thread's carrier fills an exchange through the same calls.
 */

/** A request as an app receives it. */
export interface AppRequest {
  method: string;
  /** Absolute, without a fragment. */
  url: string;
  /** Name, value, name, value… as sent (no Host: it comes from the URL). */
  headers: readonly string[];
  /** Bytes, a stream of chunks (pulled as the app reads), or none. */
  body: Uint8Array | AsyncIterable<Uint8Array> | null;
  /** The body's length, when a stream's is known (null: unknown, it arrives chunked). */
  bodyLength: number | null;
}

/** undici's legacy dispatch handler, the part an app's answer needs. */
export interface AppHandler {
  /** `abort(reason)` stops the app's request; the handler is then told `onError(reason)`. */
  onConnect(abort: (reason?: Error) => void): void;
  /** false: hold the body until `resume()` is called. */
  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean;
  /** false: hold the body until `resume()` is called. */
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onError(err: Error): void;
  /** The app threw or rejected (told before the 500 that answers it, or the error that cuts it short). */
  onAppError(error: unknown): void;
}
