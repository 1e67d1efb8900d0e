import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, InvalidOption, SSLError, ConnectionError } from '../../dist/src/index.js';
import { makePki, signLeaf, type TestPki } from '../helpers/certs.js';

let pki: TestPki;
const servers: https.Server[] = [];

async function serve(opts: https.ServerOptions): Promise<string> {
  const s = https.createServer(opts, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.end(peer?.subject ? `client:${peer.subject.CN}` : 'hello tls');
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

let good: string;
let wrongHost: string;
let expired: string;
let mutual: string;

beforeAll(async () => {
  pki = makePki();
  good = await serve({ cert: pki.server.cert, key: pki.server.key });
  wrongHost = await serve({ cert: pki.wrongHost.cert, key: pki.wrongHost.key });
  expired = await serve({ cert: pki.expired.cert, key: pki.expired.key });
  mutual = await serve({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requestCert: true, rejectUnauthorized: true });
  await new Promise((r) => setTimeout(r, 1100)); // the expired certificate's last second passes
});
afterAll(() => {
  for (const s of servers) s.close();
});

const fails = async (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as Error);

describe('TLS verification', () => {
  it('refuses a certificate from an unknown CA by default, saying why', async () => {
    await using s = new AsyncSession();
    const e = await fails(s.get(good));
    expect(e).toBeInstanceOf(SSLError);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e!.message).toMatch(/unable to verify|self.signed|UNABLE_TO_VERIFY|issuer/i);
  });

  it('checks a certificate against the IP address of an https://<ip>/ URL, not against "localhost"', async () => {
    // The certificate's identity was checked against "localhost" for IP-literal URLs (no
    // name to send as SNI, and Node's fallback): a certificate naming only the address was
    // refused, and one naming only localhost was accepted for any address.
    const ipOnly = signLeaf(pki, 'ip-only', 'subjectAltName=IP:127.0.0.1');
    const localhostOnly = signLeaf(pki, 'localhost-only', 'subjectAltName=DNS:localhost');
    await using s = new AsyncSession({ verify: pki.caPath });
    expect((await s.get(await serve(ipOnly))).text).toBe('hello tls');
    const e = await fails(s.get(await serve(localhostOnly)));
    expect(e).toBeInstanceOf(SSLError);
    expect(e!.message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list/);
  });

  it('accepts it with verify set to the CA file, or to its PEM text', async () => {
    await using a = new AsyncSession({ verify: pki.caPath });
    expect((await a.get(good)).text).toBe('hello tls');
    await using b = new AsyncSession({ verify: pki.ca });
    expect((await b.get(good)).text).toBe('hello tls');
  });

  it('verify: false skips verification; a request can override its session', async () => {
    await using s = new AsyncSession();
    expect((await s.get(good, { verify: false })).text).toBe('hello tls');
    await using t = new AsyncSession({ verify: false });
    expect((await t.get(wrongHost)).statusCode).toBe(200);
    expect(await fails(t.get(good, { verify: true }))).toBeInstanceOf(SSLError);
  });

  it('names a hostname mismatch and an expired certificate', async () => {
    await using s = new AsyncSession({ verify: pki.caPath });
    const mismatch = await fails(s.get(wrongHost));
    expect(mismatch).toBeInstanceOf(SSLError);
    expect(mismatch!.message).toMatch(/altname|hostname|does not match/i);
    const old = await fails(s.get(expired));
    expect(old).toBeInstanceOf(SSLError);
    expect(old!.message).toMatch(/expired/i);
  });

  it('pins the leaf certificate by sha256, and names a pin mismatch', async () => {
    await using s = new AsyncSession({ verify: `sha256_${pki.server.sha256}` });
    expect((await s.get(good)).text).toBe('hello tls');
    const other = await fails(s.get(wrongHost));
    expect(other).toBeInstanceOf(SSLError);
    expect(other!.message).toMatch(/pin mismatch/);
    expect(() => new AsyncSession({ verify: 'sha256_abcd' })).toThrow(InvalidOption);
  });

  it('presents a client certificate to a server that requires one', async () => {
    await using none = new AsyncSession({ verify: pki.caPath });
    expect(await fails(none.get(mutual))).toBeInstanceOf(ConnectionError);
    await using paths = new AsyncSession({ verify: pki.caPath, cert: [pki.client.certPath, pki.client.keyPath] });
    expect((await paths.get(mutual)).text).toBe('client:nodequests client');
    await using pem = new AsyncSession({ verify: pki.caPath });
    expect((await pem.get(mutual, { cert: { cert: pki.client.cert, key: pki.client.key } })).text).toBe('client:nodequests client');
  });

  it('a CA path that cannot be read is an InvalidOption naming it', () => {
    expect(() => new AsyncSession({ verify: '/nonexistent/ca.pem' })).toThrow(/verify.*\/nonexistent\/ca\.pem.*ENOENT/);
  });
});

describe('connInfo', () => {
  it('tells the TLS version, cipher, certificate, address, protocol and timings', async () => {
    // One worker, so the second request can reuse the first one's connection.
    await using s = new AsyncSession({ verify: pki.caPath, workers: 1 });
    const r = await s.get(good);
    const info = r.connInfo!;
    expect(info.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(info.cipher!.name).toBeTruthy();
    expect(info.peerCertificate!.subject.CN).toBe('localhost');
    expect(info.peerCertificate!.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(Buffer.from(info.peerCertificate!.der, 'base64').length).toBeGreaterThan(500);
    expect(info.destinationAddress).toBe('127.0.0.1');
    expect(info.destinationPort).toBe(Number(new URL(good).port));
    expect(info.httpVersion).toBe('HTTP/1.1');
    expect(info.timings.connection).toBeGreaterThan(0);
    expect(info.timings.tlsHandshake).toBeGreaterThan(0);
    expect(info.timings.firstByte!).toBeGreaterThanOrEqual(info.timings.requestSent!);
    // A second request on the same connection reports the same connection.
    const again = (await s.get(good)).connInfo!;
    expect(again.established.getTime()).toBe(info.established.getTime());
  });
});

describe('CA bundles from the environment', () => {
  it('REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) is trusted under trustEnv, and not without it', async () => {
    const saved = process.env.REQUESTS_CA_BUNDLE;
    process.env.REQUESTS_CA_BUNDLE = pki.caPath;
    try {
      await using trusting = new AsyncSession();
      expect((await trusting.get(good)).text).toBe('hello tls');
      await using strict = new AsyncSession({ trustEnv: false });
      expect(await fails(strict.get(good))).toBeInstanceOf(SSLError);
    } finally {
      if (saved === undefined) delete process.env.REQUESTS_CA_BUNDLE;
      else process.env.REQUESTS_CA_BUNDLE = saved;
    }
    // CURL_CA_BUNDLE when REQUESTS_CA_BUNDLE is not set (it wins when both are).
    const savedCurl = process.env.CURL_CA_BUNDLE;
    delete process.env.REQUESTS_CA_BUNDLE;
    process.env.CURL_CA_BUNDLE = pki.caPath;
    try {
      await using trusting = new AsyncSession();
      expect((await trusting.get(good)).text).toBe('hello tls');
    } finally {
      if (saved !== undefined) process.env.REQUESTS_CA_BUNDLE = saved;
      if (savedCurl === undefined) delete process.env.CURL_CA_BUNDLE;
      else process.env.CURL_CA_BUNDLE = savedCurl;
    }
  });

  it('a REQUESTS_CA_BUNDLE that cannot be read is an InvalidOption naming it, when the session is made', () => {
    const saved = process.env.REQUESTS_CA_BUNDLE;
    process.env.REQUESTS_CA_BUNDLE = '/nonexistent/bundle.pem';
    try {
      expect(() => new AsyncSession()).toThrow(/REQUESTS_CA_BUNDLE names "\/nonexistent\/bundle\.pem", which cannot be read \(ENOENT\)/);
      expect(() => new AsyncSession({ trustEnv: false })).not.toThrow();
    } finally {
      if (saved === undefined) delete process.env.REQUESTS_CA_BUNDLE;
      else process.env.REQUESTS_CA_BUNDLE = saved;
    }
  });

  it('NODE_EXTRA_CA_CERTS (read by Node when a process starts) is trusted under trustEnv, and not without it', async () => {
    // A child process, since Node reads the variable only at startup.
    const script = `
      import { AsyncSession } from ${JSON.stringify(new URL('../../dist/src/index.js', import.meta.url).href)};
      const s = new AsyncSession({ trustEnv: process.argv[2] === 'trust' });
      try { console.log((await s.get(process.argv[1])).text); } catch (e) { console.log(e.name); }
      await s.close();
    `;
    const run = (mode: string, bundle?: string) =>
      new Promise<string>((resolve, reject) => {
        const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: pki.caPath };
        delete env.REQUESTS_CA_BUNDLE;
        delete env.CURL_CA_BUNDLE;
        if (bundle) env.REQUESTS_CA_BUNDLE = bundle;
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, good, mode], { env, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.on('error', reject);
        child.on('exit', () => resolve(out.trim()));
      });
    expect(await run('trust')).toBe('hello tls');
    expect(await run('strict')).toBe('SSLError');
    // With a REQUESTS_CA_BUNDLE too (one that does not hold our CA), the extra CA still counts.
    const other = join(mkdtempSync(join(tmpdir(), 'nq-bundle-')), 'other.pem');
    writeFileSync(other, rootCertificates[0]!);
    expect(await run('trust', other)).toBe('hello tls');
  });
});

describe('regression: TLS session resumption', () => {
  it('a session resumed under one trust setting does not let a stricter one skip verification', async () => {
    await using lenient = new AsyncSession({ verify: pki.caPath, workers: 1 });
    expect((await lenient.get(good)).text).toBe('hello tls');
    await using strict = new AsyncSession({ workers: 1 }); // same worker, system CAs only
    expect(await fails(strict.get(good))).toBeInstanceOf(SSLError);
  });
});
