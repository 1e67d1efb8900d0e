/**
 * One request to an app, from the app's side of the handler: it passes the answer on once
 * and in order, turns a failure of the app into an answer, and carries a stop from the
 * caller (a cancel, a timeout) back to the app.
 */
import type { AppHandler, AppRequest } from './app-request.js';
import type { LoadedApp } from './app.js';
import { serveListener } from './node-listener.js';
import { serveFetch } from './fetch-app.js';

export class AppCall {
  readonly request: AppRequest;
  readonly #handler: AppHandler;
  /** Nothing more goes to the handler: the answer ended, failed or was stopped. */
  done = false;
  headSent = false;
  /** Called when the handler takes more of the body after saying it would not. */
  onResume: (() => void) | null = null;
  /** Called when the caller stops the request: the app's side lets go of it. */
  onAbort: ((reason: Error) => void) | null = null;

  constructor(request: AppRequest, handler: AppHandler) {
    this.request = request;
    this.#handler = handler;
  }

  readonly #resume = (): void => this.onResume?.();

  head(status: number, rawHeaders: string[], statusText: string): boolean {
    if (this.done) return false;
    this.headSent = true;
    return this.#handler.onHeaders(status, rawHeaders, this.#resume, statusText);
  }

  data(chunk: Buffer): boolean {
    if (this.done) return false;
    return this.#handler.onData(chunk);
  }

  complete(trailers: string[] | null): void {
    if (this.done) return;
    this.done = true;
    this.#handler.onComplete(trailers);
  }

  /**
   * The app threw or rejected. Before its head, the answer is a 500 with the message in the
   * body, as a server's last-resort handler would send; after, the response is cut short.
   */
  fail(error: unknown): void {
    if (this.done) return;
    this.#handler.onAppError(error);
    const message = error instanceof Error ? error.message : String(error);
    if (this.headSent) {
      this.done = true;
      this.#handler.onError(new Error(`The app failed in the middle of its response: ${message}`));
      return;
    }
    const body = Buffer.from(message, 'utf8');
    this.head(500, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(body.length)], 'Internal Server Error');
    this.data(body);
    this.complete(null);
  }

  /** The app dropped the request unanswered (`res.destroy()`): as a server closing the connection. */
  reset(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.#handler.onError(new Error(reason));
  }

  /** The caller stopped the request: the handler hears `reason`, the app's side lets go. */
  abort(reason: Error): void {
    if (this.done) return;
    this.done = true;
    this.#handler.onError(reason);
    this.onAbort?.(reason);
  }
}

/** Calls `app` with `request`; its answer goes to `handler`. Never throws. */
export function serveApp(app: LoadedApp, request: AppRequest, handler: AppHandler): void {
  const call = new AppCall(request, handler);
  handler.onConnect((reason) => call.abort(reason ?? new Error('The request was aborted')));
  try {
    if (app.kind === 'listener') serveListener(app.listener, call);
    else serveFetch(app.app, call).catch((err: unknown) => call.fail(err));
  } catch (err) {
    call.fail(err);
  }
}
