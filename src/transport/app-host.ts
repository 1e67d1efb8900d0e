/**
 * A module app (Session's `app` option as `file:///…/app.js#export`) served in a transport
 * worker: the module is imported once per session and worker, and each request is handed
 * to it with the same ExchangeHandler undici would get, so windows, the read and total
 * timeouts, decoding and frames are the transport's usual ones. This is how a sync
 * `Session` tests an app: its blocked thread could not run one. A WebSocket to the app is
 * the worker's usual WebSocketHandler over an in-memory connection to the app's
 * http.Server (see {@link AppHost.connector}).
 */
import { loadApp, appConnection, type LoadedApp } from '../app/app.js';
import type { AppRequest } from '../app/app-request.js';
import { serveApp } from '../app/app-call.js';
import { TransportCode } from '../channel/error-codes.js';
import { HttpVersionCode } from '../channel/frames.js';
import { APP_WEBSOCKET_SCHEMES, connectToApp, upgradeServerOf } from '../app/app-socket.js';
import type { Socket } from 'node:net';
import type { buildConnector } from 'undici';
import type { Connections } from './connections.js';
import type { ProtocolChoice } from './connector.js';
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

  /**
   * What a WebSocketHandler dials for a WebSocket to the app (in place of the session's
   * connector, with the same signature): an in-memory connection to its http.Server, or
   * the reason the app takes none. TLS, proxies and the socket path have nothing to act on.
   */
  connector(_tls: string, _connectTimeout: number, socketPath: string | null, _proxy: string, protocols: ProtocolChoice): buildConnector.connector {
    return (_options, done) => {
      if (protocols.http2 || socketPath !== null) {
        done(new TransportError(TransportCode.INVALID_URL, APP_WEBSOCKET_SCHEMES), null);
        return;
      }
      this.#loading.then(
        (app) => {
          const server = upgradeServerOf(app);
          if (typeof server === 'string') done(new TransportError(TransportCode.INVALID_OPTION, `Invalid option app: ${this.#specifier} ${server}`), null);
          else done(null, connectToApp(server) as unknown as Socket);
        },
        (err: unknown) => done(new TransportError(TransportCode.INVALID_OPTION, `Invalid option app: cannot load ${this.#specifier}: ${(err as Error).message ?? String(err)}`), null),
      );
    };
  }
}
