/**
 * TLS settings in the browser build: the browser verifies certificates and offers client
 * certificates itself, so any `verify` or `cert` but the default is refused when it is given.
 */
import type { TlsConfig } from '../../channel/tls-profile.js';
import { BrowserUnsupported } from '../../errors.js';
import type { CertInit, VerifyInit } from '../../session/tls.js';

export type { TlsConfig, CertInit, VerifyInit };

export const DEFAULT_TLS: TlsConfig = Object.freeze({ verify: true, ca: null, withRoots: false, caFiles: [], pin: null, cert: null, key: null, passphrase: null });

export function normalizeTls(verify: VerifyInit | undefined, cert: CertInit | null | undefined): TlsConfig {
  if ((verify !== undefined && verify !== true) || (cert !== undefined && cert !== null)) {
    throw new BrowserUnsupported('TLS settings (verify, cert, a CA bundle or a pin) cannot be used in the browser: the browser verifies certificates itself and offers client certificates itself');
  }
  return DEFAULT_TLS;
}
