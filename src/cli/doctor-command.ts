/** `nodequests doctor` (or `help --json`): what this install can do, as JSON. */
import { getCiphers } from 'node:crypto';
import tls from 'node:tls';
import { supportedEncodings } from '../channel/encodings.js';
import { VERSION } from '../version.js';
import { http3Availability } from '../channel/http3-support.js';

export function doctorReport(): Record<string, unknown> {
  const http3 = http3Availability();
  return {
    nodequests: VERSION,
    runtime: { node: process.version, v8: process.versions.v8, platform: process.platform, arch: process.arch },
    tls: {
      openssl: process.versions.openssl,
      minVersion: tls.DEFAULT_MIN_VERSION,
      maxVersion: tls.DEFAULT_MAX_VERSION,
      ciphers: getCiphers().length,
    },
    protocols: {
      'HTTP/1.1': true,
      'HTTP/2': true,
      'HTTP/3': http3.available,
      'HTTP/3 note': http3.reason ?? 'over QUIC (@matrixai/quic): for http3Origins, and Alt-Svc announcements under disableHttp3: false',
    },
    decoders: supportedEncodings(),
    zstd: typeof (process.versions as Record<string, string>).zstd === 'string' ? 'node' : 'fzstd (JavaScript)',
    schemes: ['http', 'https', 'http+unix'],
  };
}

export function doctorCommand(): number {
  process.stdout.write(`${JSON.stringify(doctorReport(), null, 2)}\n`);
  return 0;
}
