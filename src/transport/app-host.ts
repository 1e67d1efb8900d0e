/**
 * A module app (Session's `app` option as `file:///…/app.js#export`) served in a transport
 * worker: the module is imported once per session and worker, and each request is handed
 * to it with the same ExchangeHandler undici would get, so windows, the read and total
 * timeouts, decoding and frames are the transport's usual ones. This is how a sync
 * `Session` tests an app: its blocked thread could not run one.
 */
import { loadApp, appConnection, type LoadedApp } from '../app/app.js';
import type { AppRequest } from '../app/app-request.js';
import { serveApp } from '../app/app-call.js';
import { TransportCode } from '../channel/error-codes.js';
import { HttpVersionCode } from '../channel/frames.js';
import type { Connections } from './connections.js';
import { TransportError } from './error-codes.js';
import type { ExchangeHandler, Route } from './exchange-handler.js';

/** What an app's answers go through, for the handler: HTTP/1.1 semantics, no proxy. */
export const APP_ROUTE: Route = { version: HttpVersionCode['HTTP/1.1'], proxy: null };

export class AppHost {
  readonly #specifier: string;
  readonly #loading: Promise<LoadedApp>;
  #app: LoadedApp | null = null;
  readonly #connections: Connections;
  #connection = 0;

  constructor(specifier: string, connections: Connections) {
    this.#specifier = specifier;
    this.#connections = connections;
    this.#loading = loadApp(specifier);
    this.#loading.then((app) => (this.#app = app), () => {});
  }

  serve(request: AppRequest, handler: ExchangeHandler): void {
    this.#connection ||= this.#connections.announce(appConnection(this.#specifier));
    handler.onAppCall(this.#connection);
    if (this.#app !== null) {
      serveApp(this.#app, request, handler);
      return;
    }
    this.#loading.then(
      (app) => serveApp(app, request, handler),
      (err: unknown) => {
        handler.onConnect(() => {});
        handler.onError(new TransportError(TransportCode.INVALID_OPTION, `Invalid option app: cannot load ${this.#specifier}: ${(err as Error).message ?? String(err)}`));
      },
    );
  }
}
