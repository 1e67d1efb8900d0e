/**
 * The QUIC layer, `@matrixai/quic` (Cloudflare's quiche through napi-rs), loaded the first
 * time HTTP/3 is used: it is an optional dependency, whose prebuilt addon exists for Linux
 * x64, macOS and Windows x64 only, and loading it costs start-up time no HTTP/1.1 or HTTP/2
 * request should pay.
 */
import type { Socket } from 'node:dgram';

export type Quic = typeof import('@matrixai/quic');

let loading: Promise<Quic> | null = null;
/** The QUIC layer's UDP sockets in this thread, from their bind until they close. */
const sockets = new Set<Socket>();
let receiving = true;

/** The module; rejects (every time, with the first reason) where it cannot load. */
export function loadQuic(): Promise<Quic> {
  loading ??= import('@matrixai/quic').then((quic) => {
    // The addon is loaded lazily by the package too: touch it so that a missing binary
    // fails here, not in the middle of a connection.
    void quic.native.quiche.PROTOCOL_VERSION;
    deferStreamsUntilStarted(quic);
    trackSockets(quic);
    return quic;
  });
  return loading;
}

/**
 * The package handles the streams of a packet as soon as the handshake completes, while the
 * connection is still starting, and then takes every new stream of the server for one to
 * refuse: it shuts down its write side, which a server's unidirectional stream does not have,
 * and the error that throws is uncaught (it brought down the thread). A server like caddy
 * sends its control stream with the packet that completes the handshake, and its QPACK
 * streams may come while we close. So streams wait while the connection starts (quiche keeps
 * them readable, and the next packet brings them), and are left alone while it stops.
 */
function deferStreamsUntilStarted(quic: Quic): void {
  const proto = quic.QUICConnection.prototype as unknown as { processStreams(this: object): void };
  const original = proto.processStreams;
  let status: symbol | undefined;
  proto.processStreams = function (this: object) {
    status ??= Object.getOwnPropertySymbols(this).find((s) => s.description === '_status');
    const now = status === undefined ? null : (this as Record<symbol, unknown>)[status];
    if (now === 'starting' || now === 'stopping') return;
    original.call(this);
  };
}

/**
 * Stops every QUIC socket of this thread from receiving, now and from now on; they can
 * still send (a connection's close). On Node 20 a thread that is stopped (`terminate()`,
 * the process exiting) while a UDP socket of its own receives can take the whole process
 * down: a datagram read as the thread stops aborts in UDPWrap::OnRecv ("FATAL ERROR:
 * v8::FromJust Maybe value is Nothing"). A worker calls this before it may be stopped.
 */
export function stopReceiving(): void {
  receiving = false;
  for (const socket of sockets) recvStop(socket);
}

function trackSockets(quic: Quic): void {
  const proto = quic.QUICSocket.prototype as unknown as { start(this: { socket: Socket }, ...args: unknown[]): Promise<void> };
  const start = proto.start;
  proto.start = async function (...args) {
    await start.apply(this, args);
    // Receiving since this same turn of the event loop, so no datagram has been read yet.
    const socket = this.socket;
    if (!receiving) return recvStop(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
}

/**
 * What the socket's `close()` does first, without the close (Node has no public call for
 * it), so that the connection's own close still goes out. A Node whose dgram module differs
 * gets the close itself.
 */
function recvStop(socket: Socket): void {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = key && (socket as unknown as Record<symbol, { receiving?: boolean; handle?: { recvStop?(): number } } | undefined>)[key];
  if (typeof state?.handle?.recvStop !== 'function') {
    socket.close();
    return;
  }
  if (!state.receiving) return;
  state.handle.recvStop();
  state.receiving = false;
}
