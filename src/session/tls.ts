/**
 * TLS settings: `verify` and `cert` as users give them, turned once into plain PEM text and
 * flags that can cross to the workers as JSON. Files the user names are read here, on the
 * main thread, so a bad path is an `InvalidOption` at the call, not a failure deep in a
 * worker; the environment's CA bundles are checked here and read by the workers.
 *
 * @example
 * ```ts
 * new Session({ verify: '/etc/ssl/my-ca.pem' });
 * new Session({ verify: 'sha256_9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' });
 * new Session({ cert: ['/path/client.pem', '/path/client.key'] });
 * ```
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { InvalidOption, describe } from '../errors.js';
import type { TlsConfig } from '../channel/tls-profile.js';

export type { TlsConfig };

/** `true` (system CAs), `false` (no verification), a CA bundle path or PEM text, or `sha256_<hex>` to pin the leaf. */
export type VerifyInit = boolean | string;
/** A PEM file holding both, `[certPath, keyPath]`, or `{ cert, key, passphrase }` (paths or PEM text). */
export type CertInit = string | readonly [string, string] | { cert: string; key: string; passphrase?: string };

export const DEFAULT_TLS: TlsConfig = Object.freeze({ verify: true, ca: null, withRoots: false, caFiles: [], pin: null, cert: null, key: null, passphrase: null });

export function normalizeTls(verify: VerifyInit | undefined, cert: CertInit | null | undefined, trustEnv: boolean, env: NodeJS.ProcessEnv = process.env): TlsConfig {
  const config: TlsConfig = { ...DEFAULT_TLS };
  if (verify === false) config.verify = false;
  else if (typeof verify === 'string') {
    const pin = /^sha256_([0-9a-fA-F:]+)$/.exec(verify.trim());
    if (pin) {
      config.pin = pin[1]!.replace(/:/g, '').toLowerCase();
      if (config.pin.length !== 64) throw new InvalidOption(`Invalid option verify: ${describe(verify)}; a sha256 pin has 64 hex digits`);
    } else config.ca = pemOrFile(verify, 'verify');
  } else if (verify !== undefined && verify !== true) {
    throw new InvalidOption(`Invalid option verify: ${describe(verify)}; expected true, false, a CA bundle (path or PEM) or "sha256_<hex>"`);
  }
  if (config.verify && config.ca === null && config.pin === null) {
    const bundle = trustEnv ? env.REQUESTS_CA_BUNDLE || env.CURL_CA_BUNDLE : undefined;
    // Node adds NODE_EXTRA_CA_CERTS to its default store only: a list of our own must name
    // it, and naming the roots alone leaves it out.
    if (bundle) {
      assertReadable(bundle, env.REQUESTS_CA_BUNDLE ? 'REQUESTS_CA_BUNDLE' : 'CURL_CA_BUNDLE');
      config.withRoots = true;
      config.caFiles = env.NODE_EXTRA_CA_CERTS && env.NODE_EXTRA_CA_CERTS !== bundle ? [env.NODE_EXTRA_CA_CERTS, bundle] : [bundle];
    } else if (!trustEnv && env.NODE_EXTRA_CA_CERTS) config.withRoots = true;
  }
  if (cert !== undefined && cert !== null) Object.assign(config, normalizeCert(cert));
  return config;
}

function normalizeCert(cert: CertInit): Pick<TlsConfig, 'cert' | 'key' | 'passphrase'> {
  if (typeof cert === 'string') {
    const pem = pemOrFile(cert, 'cert');
    return { cert: pem, key: pem, passphrase: null };
  }
  if (Array.isArray(cert) && cert.length === 2) {
    return { cert: pemOrFile(cert[0], 'cert[0]'), key: pemOrFile(cert[1], 'cert[1]'), passphrase: null };
  }
  if (cert && typeof cert === 'object' && 'cert' in cert && 'key' in cert) {
    const c = cert as { cert: string; key: string; passphrase?: string };
    return { cert: pemOrFile(c.cert, 'cert.cert'), key: pemOrFile(c.key, 'cert.key'), passphrase: c.passphrase ?? null };
  }
  throw new InvalidOption(`Invalid option cert: ${describe(cert)}; expected a path, [cert, key] or { cert, key, passphrase }`);
}

/** A bundle named by the environment must be readable: said now, not at the first connection. */
function assertReadable(path: string, variable: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new InvalidOption(`${variable} names ${JSON.stringify(path)}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function pemOrFile(value: string, option: string): string {
  if (typeof value !== 'string') throw new InvalidOption(`Invalid option ${option}: ${describe(value)}; expected a path or PEM text`);
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new InvalidOption(`Invalid option ${option}: cannot read ${JSON.stringify(value)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
