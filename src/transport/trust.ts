/**
 * The CA certificates a TLS profile trusts, read in the worker when it builds the profile's
 * TLS context: the environment's bundles travel as paths, not as hundreds of KB of PEM.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { TlsConfig } from '../channel/tls-profile.js';

/** The CA list a profile trusts, for its TLS context; null: Node's default store. */
export function trustedCas(profile: TlsConfig): string[] | null {
  if (profile.ca !== null) return [profile.ca];
  if (!profile.withRoots) return null;
  const files: string[] = [];
  for (const path of profile.caFiles) {
    try {
      files.push(readFileSync(path, 'utf8'));
    } catch {
      // As Node does with NODE_EXTRA_CA_CERTS: a file that cannot be read adds nothing.
    }
  }
  return [...rootCertificates, ...files];
}
