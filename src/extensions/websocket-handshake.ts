/**
 * What a WebSocket client of ours asks for in its handshake, shared by the workers'
 * WebSockets and those to an app on the main thread: the request's headers as `ws` takes
 * them.
 */

/** Request headers the WebSocket handshake makes itself (or that would break it). */
const HANDSHAKE_HEADERS = new Set(['connection', 'upgrade', 'host', 'keep-alive', 'content-length', 'transfer-encoding', 'te', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']);

/**
 * The request's headers (`flat`: names and values in turn) without those the handshake
 * makes itself or that would break it; the subprotocols apart.
 */
export function handshakeHeaders(flat: readonly string[]): { headers: Record<string, string>; protocols: string[] } {
  const headers: Record<string, string> = {};
  let protocols: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    const value = flat[i + 1]!;
    if (name === 'sec-websocket-protocol') protocols = value.split(',').map((p) => p.trim()).filter(Boolean);
    else if (!HANDSHAKE_HEADERS.has(name)) headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { headers, protocols };
}
