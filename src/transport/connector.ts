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

export function tlsConnector(tls: TlsConfig, timeout: number, socketPath: string | null): buildConnector.connector {
  const base = buildConnector({
    timeout,
    ...(socketPath !== null ? { socketPath } : {}),
    rejectUnauthorized: tls.verify && tls.pin === null,
    ...(tls.ca !== null ? { ca: tls.ca } : {}),
    ...(tls.cert !== null ? { cert: tls.cert, key: tls.key!, passphrase: tls.passphrase ?? undefined } : {}),
  });
  if (tls.pin === null) return base;
  const pin = tls.pin;
  return (options, callback) => {
    base(options, (err, socket) => {
      if (err || !socket || options.protocol !== 'https:') return callback(err as Error, socket as null);
      const leaf = (socket as TLSSocket).getPeerCertificate(false);
      const seen = leaf?.raw ? createHash('sha256').update(leaf.raw).digest('hex') : '(none)';
      if (seen !== pin) {
        socket.destroy();
        const e = Object.assign(new Error(`certificate pin mismatch: expected sha256_${pin}, the server presented sha256_${seen}`), { code: 'ERR_TLS_CERT_PIN_MISMATCH' });
        return callback(e, null);
      }
      callback(null, socket);
    });
  };
}
