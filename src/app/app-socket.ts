/**
 * A connection to an app in memory, for a WebSocket: in process there is no socket, so the
 * app's http.Server is given one end of a Duplex pair as a new connection and the client
 * (`ws`) speaks over the other. The server's own HTTP parser reads the handshake and emits
 * 'upgrade' with a real IncomingMessage and that end as the socket, which is exactly what a
 * `ws` server in `noServer` mode (or any upgrade handler) expects from a listening server.
 *
 * The upgrade handlers are found on the http.Server given as the app: a bare request
 * listener (an Express app, Koa's callback) has none, and neither has a fetch handler, so a
 * WebSocket to those is refused with the reason rather than answered with a guess.
 */
import type { Server } from 'node:http';
import { duplexPair, type Duplex } from 'node:stream';
import type { LoadedApp } from './app.js';

/** Why a WebSocket URL with another scheme is refused for an app (to follow with the URL). */
export const APP_WEBSOCKET_SCHEMES = 'An app takes WebSockets over HTTP/1.1 in process: use ws:// (or wss://) for it, not ws+unix:// or wss+rfc8441://';

/** The http.Server that takes `app`'s WebSockets, or why there is none (to follow "the app …"). */
export function upgradeServerOf(app: LoadedApp): Server | string {
  if (app.kind === 'fetch') return 'is a fetch handler, which cannot take a WebSocket in process; pass an http.Server whose \'upgrade\' event your WebSocket server handles';
  if (app.server === null) {
    return "is a request listener, which has no upgrade handler: pass the http.Server whose 'upgrade' event your WebSocket server handles (e.g. const server = http.createServer(app); server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, …)))";
  }
  if (app.server.listenerCount('upgrade') === 0) return "is an http.Server with no 'upgrade' listener, so it takes no WebSocket";
  return app.server;
}

/** A new in-memory connection to `server`: the client's end (the server has the other). */
export function connectToApp(server: Server): Duplex {
  const [client, app] = duplexPair();
  // What an upgrade handler may read of its socket, as for a request from loopback.
  Object.assign(app, { remoteAddress: '127.0.0.1', remotePort: 0, remoteFamily: 'IPv4', localAddress: '127.0.0.1', localPort: 0 });
  server.emit('connection', app);
  return client;
}
