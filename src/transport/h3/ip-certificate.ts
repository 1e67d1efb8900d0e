/**
 * The certificate check for an origin named by an IP address. quiche (through BoringSSL)
 * checks the server's name as a DNS name only, so a certificate made for `IP:127.0.0.1` fails
 * there where Node's TLS accepts it; for such origins the QUIC layer's native check is
 * replaced by this one, which asks what Node's does: a chain from the leaf to one of the
 * trusted CAs through the certificates the server sent, each in its validity period and each
 * issuer a CA, and the address among the leaf's subjectAltName IPs.
 */
import { X509Certificate } from 'node:crypto';

// TLS alert codes as the QUIC layer takes them (0x100 + the alert: RFC 9001 §4.8).
const BAD_CERTIFICATE = 298;
const CERTIFICATE_EXPIRED = 301;
const UNKNOWN_CA = 304;

/** Longest chain walked: no real one is close. */
const MAX_DEPTH = 10;

/** A verify callback for `@matrixai/quic`: undefined when the chain holds, else a TLS alert. */
export function ipCertificateCheck(ip: string): (certs: Uint8Array[], cas: Uint8Array[]) => Promise<number | undefined> {
  return async (certs, cas) => {
    if (certs.length === 0) return BAD_CERTIFICATE;
    const chain = certs.map((c) => new X509Certificate(c));
    const roots = cas.map((c) => new X509Certificate(c));
    const leaf = chain[0]!;
    if (leaf.checkIP(ip) === undefined) return BAD_CERTIFICATE;
    const now = Date.now();
    const current = (x: X509Certificate): boolean => Date.parse(x.validFrom) <= now && now <= Date.parse(x.validTo);
    let cert = leaf;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      if (!current(cert)) return CERTIFICATE_EXPIRED;
      const issuedBy = (x: X509Certificate): boolean => x.ca && cert.checkIssued(x) && cert.verify(x.publicKey);
      const root = roots.find(issuedBy);
      if (root !== undefined) return current(root) ? undefined : CERTIFICATE_EXPIRED;
      const next = chain.slice(1).find((x) => x !== cert && issuedBy(x));
      if (next === undefined) return UNKNOWN_CA;
      cert = next;
    }
    return UNKNOWN_CA;
  };
}
