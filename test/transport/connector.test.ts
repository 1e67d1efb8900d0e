import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { contextFor, profileKeyOf } from '../../dist/src/transport/connector.js';
import type { TlsConfig } from '../../dist/src/session/tls.js';

const profile = (ca: string | null): TlsConfig => ({ verify: true, ca, withRoots: false, caFiles: [], pin: null, cert: null, key: null, passphrase: null });

describe('TLS contexts', () => {
  it('are built once per profile: a big CA list is parsed once, not for every connection', () => {
    const big = profile(rootCertificates.join('\n'));
    const key = profileKeyOf(big);
    const first = contextFor(key, big);
    expect(contextFor(profileKeyOf(profile(rootCertificates.join('\n'))), big)).toBe(first);
    const other = profile(rootCertificates[0]!);
    expect(contextFor(profileKeyOf(other), other)).not.toBe(first);
  });
});
