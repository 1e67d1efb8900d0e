/**
 * How a worker opens connections for one TLS profile (and, for `http+unix`, one socket
 * path): undici's own connector, plus a
 * check of the server's leaf certificate against a pinned fingerprint. Node would only
 * consult `checkServerIdentity` after CA verification succeeded, which a pinned self-signed
 * certificate never does, so the pin is checked once the handshake is done instead.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';
import type { TlsConfig } from '../session/tls.js';

/** Which protocols a pool may speak; `h2c`: HTTP/2 with prior knowledge on a cleartext connection. */
export interface ProtocolChoice {
  http1: boolean;
  http2: boolean;
  h2c: boolean;
}

/**
 * `onProtocol` hears what each new connection speaks ('h2' or 'http/1.1'), so responses can
 * say which version carried them.
 */
export function tlsConnector(
  tls: TlsConfig,
  timeout: number,
  socketPath: string | null,
  protocols: ProtocolChoice,
  onProtocol: (alpn: string) => void,
): buildConnector.connector {
  const connect = buildConnector({
    timeout,
    allowH2: protocols.http2,
    // Known to undici's connector, missing from its BuildOptions type.
    ...({ useH2c: protocols.h2c } as object),
    ...(socketPath !== null ? { socketPath } : {}),
    rejectUnauthorized: tls.verify && tls.pin === null,
    ...(tls.ca !== null ? { ca: tls.ca } : {}),
    ...(tls.cert !== null ? { cert: tls.cert, key: tls.key!, passphrase: tls.passphrase ?? undefined } : {}),
  });
  return (options, callback) => {
    connect(options, (err, socket) => {
      if (err || !socket) return callback(err as Error, null);
      const failure = (options.protocol === 'https:' ? pinFailure(socket as TLSSocket, tls.pin) : null) ?? protocolFailure(socket as { alpnProtocol?: string | false | null }, protocols);
      if (failure) {
        socket.destroy();
        return callback(failure, null);
      }
      onProtocol((socket as TLSSocket).alpnProtocol || 'http/1.1');
      callback(null, socket);
    });
  };
}

function pinFailure(socket: TLSSocket, pin: string | null): Error | null {
  if (pin === null) return null;
  const leaf = socket.getPeerCertificate(false);
  const seen = leaf?.raw ? createHash('sha256').update(leaf.raw).digest('hex') : '(none)';
  if (seen === pin) return null;
  return Object.assign(new Error(`certificate pin mismatch: expected sha256_${pin}, the server presented sha256_${seen}`), { code: 'ERR_TLS_CERT_PIN_MISMATCH' });
}

/** With HTTP/1.1 disabled, a server that would not negotiate h2 is refused. */
function protocolFailure(socket: { alpnProtocol?: string | false | null }, protocols: ProtocolChoice): Error | null {
  if (protocols.http1 || socket.alpnProtocol === 'h2') return null;
  return Object.assign(new Error('the server did not negotiate HTTP/2 (ALPN), and HTTP/1.1 is disabled'), { code: 'ERR_NQ_NO_PROTOCOL' });
}
