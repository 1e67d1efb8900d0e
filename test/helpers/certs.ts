import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caPath: string;
  ca: string;
  /** For 127.0.0.1 and localhost, signed by the CA. */
  server: { cert: string; key: string; sha256: string };
  /** Signed by the CA for another name. */
  wrongHost: { cert: string; key: string };
  /** Signed by the CA, valid until the moment it was made. */
  expired: { cert: string; key: string };
  client: { certPath: string; keyPath: string; cert: string; key: string };
  /** Signs another certificate with the CA, e.g. `issue('ip-only', 'subjectAltName=IP:127.0.0.1')`. */
  issue(name: string, san: string): { cert: string; key: string };
}

/** Makes a throwaway CA and certificates with the openssl command, at test time. */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'nq-pki-'));
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=nodequests test CA');
  const leaf = (name: string, cn: string, san: string, days: string, extra: string[] = []) => issue(dir, name, cn, san, days, extra);
  const expired = leaf('expired', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '0');
  const server = leaf('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '2');
  const wrongHost = leaf('wrong', 'wrong.test', 'subjectAltName=DNS:wrong.test', '2');
  const client = leaf('client', 'nodequests client', 'extendedKeyUsage=clientAuth', '2');
  return {
    dir,
    caPath: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    server: { ...server, sha256: createHash('sha256').update(new X509Certificate(server.cert).raw).digest('hex') },
    wrongHost,
    expired,
    client: { ...client, certPath: join(dir, 'client.pem'), keyPath: join(dir, 'client.key') },
    issue: (name, san) => leaf(name, name, san, '2'),
  };
}

/** Another certificate signed by the PKI's CA, for `san` (an openssl subjectAltName line), valid 2 days. */
export function signLeaf(pki: TestPki, name: string, san: string): { cert: string; key: string } {
  return issue(pki.dir, name, name, san, '2');
}

function issue(dir: string, name: string, cn: string, san: string, days: string, extra: string[] = []): { cert: string; key: string } {
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  writeFileSync(join(dir, `${name}.ext`), `${san}\n${extra.join('\n')}\n`);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', days, '-extfile', `${name}.ext`);
  return { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}
