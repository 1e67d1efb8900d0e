/**
 * The request command run as a user runs it: a child process, against servers this file
 * starts (HTTP/1.1, HTTPS with HTTP/2 and client certificates, h2c, a forward proxy, a
 * socket that never answers). Every flag of `nodequests --help` is exercised here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from '../helpers/certs.js';
import { startHttpProxy, type TestProxy } from '../helpers/proxy-server.js';

const bin = fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url));
// Prints the child's peak RSS on stderr as it exits, for the bounded-memory check.
const reportRss = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss='+process.resourceUsage().maxRSS+'\\n'))`;

interface Run {
  code: number;
  stdout: Buffer;
  out: string;
  stderr: string;
}

function nq(args: string[], options: { rss?: boolean } = {}): Promise<Run> {
  const execArgs = options.rss ? ['--import', reportRss, bin, ...args] : [bin, ...args];
  return new Promise((resolve) => {
    // The watchdog: a hung command is killed and its output shown by the failing assertion.
    execFile(process.execPath, execArgs, { encoding: 'buffer', timeout: 60_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? -1) : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, out: stdout.toString('latin1'), stderr: stderr.toString() });
    });
  });
}

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  clientCert?: string;
  httpVersion: string;
}

// Large enough that holding it whole would show plainly above what streaming costs: the rings,
// and the Buffers the garbage collector has not taken back yet (up to some 85 MiB measured).
const BIG = 256 * 2 ** 20;
// Each run is a whole process (Node, the module graph, a transport worker): on a loaded
// machine a test of several runs needs minutes, not the default 30 s.
const LIMIT = 180_000;
let pki: TestPki;
let dir: string;
let plain: http.Server;
let secure: http2.Http2SecureServer;
let h2c: http2.Http2Server;
let silent: net.Server;
let proxy: TestProxy;
let base: string;
let secureBase: string;
let h2cBase: string;
let silentPort: number;
const held = new Set<http.ServerResponse | http2.Http2ServerResponse>();

function handle(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void {
  const url = new URL(req.url!, 'http://x');
  const send = (status: number, headers: Record<string, string>, body: string | Buffer) => {
    (res as http.ServerResponse).writeHead(status, headers);
    res.end(body);
  };
  if (url.pathname === '/slow') return void held.add(res);
  if (url.pathname === '/bin') return send(200, { 'content-type': 'application/octet-stream' }, Buffer.from([0x89, 0x50, 0, 1, 2, 0xff]));
  if (url.pathname === '/text') return send(200, { 'content-type': 'text/plain' }, 'plain words\n');
  if (url.pathname.startsWith('/status/')) return send(Number(url.pathname.slice(8)), { location: '/echo' }, `status ${url.pathname.slice(8)}`);
  if (url.pathname.startsWith('/redirect/')) {
    const n = Number(url.pathname.slice(10));
    return send(302, { location: n > 1 ? `/redirect/${n - 1}` : '/echo' }, '');
  }
  if (url.pathname === '/big') {
    (res as http.ServerResponse).writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG) });
    const block = Buffer.alloc(1 << 16, 7);
    let left = BIG / block.length;
    const pump = (): void => {
      while (left > 0) {
        left--;
        if (!(res as http.ServerResponse).write(block)) return void res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const socket = req.socket as TLSSocket;
    const seen: Seen = {
      method: req.method!,
      url: req.url!,
      headers: req.headers as Seen['headers'],
      body: Buffer.concat(chunks).toString('latin1'),
      httpVersion: req.httpVersion,
    };
    const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : null;
    if (cert?.subject) seen.clientCert = cert.subject.CN as string;
    send(200, { 'content-type': 'application/json', 'x-served': 'yes' }, JSON.stringify(seen));
  });
}

beforeAll(async () => {
  pki = makePki();
  dir = mkdtempSync(join(tmpdir(), 'nq-cli-'));
  plain = http.createServer(handle);
  secure = http2.createSecureServer({ ...pki.server, allowHTTP1: true, requestCert: true, rejectUnauthorized: false, ca: pki.ca }, handle);
  h2c = http2.createServer(handle);
  silent = net.createServer(() => {}); // accepts, never speaks: a TLS handshake that never ends
  await Promise.all([plain, secure, h2c, silent].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  base = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  secureBase = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
  h2cBase = `http://127.0.0.1:${(h2c.address() as AddressInfo).port}`;
  silentPort = (silent.address() as AddressInfo).port;
  proxy = await startHttpProxy();
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const res of held) res.destroy();
  plain.closeAllConnections();
  await proxy.close();
  const closing = [plain, secure, h2c, silent].map((s) => new Promise<void>((r) => s.close(() => r())));
  for (const s of [secure, h2c]) (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 2_000))]);
});

const seenOf = (run: Run): Seen => {
  try {
    return JSON.parse(run.stdout.toString()) as Seen;
  } catch {
    throw new Error(`not the echo's JSON (exit ${run.code}): ${run.out.slice(0, 300)} | stderr: ${run.stderr}`);
  }
};

describe('request items (HTTPie)', { timeout: LIMIT }, () => {
  it('name=value and name:=json make a JSON body; name==value a query; Name:value a header; POST by default', async () => {
    const run = await nq([`${base}/echo`, 'q==a b', 'X-Trace:42', 'name=ann', 'age:=30', 'tags:=["x"]']);
    expect(run.code, run.stderr).toBe(0);
    const seen = seenOf(run);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/echo?q=a+b');
    expect(seen.headers['x-trace']).toBe('42');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.accept).toBe('application/json, */*;q=0.5');
    expect(JSON.parse(seen.body)).toEqual({ name: 'ann', age: 30, tags: ['x'] });
  });

  it('a METHOD word in any case, and the localhost shorthand :PORT/path', async () => {
    const port = new URL(base).port;
    const run = await nq(['put', `:${port}/echo`, 'a=1']);
    expect(seenOf(run).method).toBe('PUT');
    expect(seenOf(run).headers.host).toBe(`localhost:${port}`);
    const get = await nq(['GET', `127.0.0.1:${port}/echo`]);
    expect(seenOf(get).method).toBe('GET');
  });

  it('--form sends the fields form-encoded; field@file makes it multipart with the file', async () => {
    const form = seenOf(await nq(['--form', `${base}/echo`, 'a=1', 'b=two words']));
    expect(form.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form.body).toBe('a=1&b=two+words');
    const file = join(dir, 'upload.txt');
    writeFileSync(file, 'file body\n');
    const multi = seenOf(await nq(['-f', `${base}/echo`, 'a=1', `doc@${file}`]));
    expect(multi.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(multi.body).toContain('name="doc"; filename="upload.txt"');
    expect(multi.body).toContain('file body\n');
    expect(multi.body).toContain('name="a"');
  });

  it('a bad item and a missing upload file are usage errors (exit 1) that name them', async () => {
    const bad = await nq([`${base}/echo`, 'nonsense']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/request item "nonsense" has no separator/);
    const json = await nq([`${base}/echo`, 'n:={oops']);
    expect(json.stderr).toMatch(/"\{oops" is not JSON/);
    const missing = await nq([`${base}/echo`, `f@${join(dir, 'absent.bin')}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/absent\.bin.*ENOENT/);
  });
});

describe("curl's request flags", { timeout: LIMIT }, () => {
  it('-X sets the method; -H adds headers', async () => {
    const seen = seenOf(await nq(['-X', 'PATCH', '-H', 'X-A: 1', '-H', 'X-B:2', `${base}/echo`]));
    expect(seen.method).toBe('PATCH');
    expect([seen.headers['x-a'], seen.headers['x-b']]).toEqual(['1', '2']);
  });

  it('-d is form-encoded with its Content-Type, parts joined with &, @file read without line breaks', async () => {
    const file = join(dir, 'form.txt');
    writeFileSync(file, 'c=3\r\n');
    const seen = seenOf(await nq(['-d', 'a=1', '--data', 'b=2', '-d', `@${file}`, `${base}/echo`]));
    expect(seen.method).toBe('POST');
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.body).toBe('a=1&b=2&c=3');
  });

  it('--data-binary @file sends the bytes as they are', async () => {
    const file = join(dir, 'bytes.bin');
    const bytes = Buffer.from([0, 1, 13, 10, 255, 10]);
    writeFileSync(file, bytes);
    const seen = seenOf(await nq(['--data-binary', `@${file}`, '-H', 'Content-Type: application/octet-stream', `${base}/echo`]));
    expect(Buffer.from(seen.body, 'latin1').equals(bytes)).toBe(true);
    expect(seen.headers['content-type']).toBe('application/octet-stream');
    expect(seen.headers['content-length']).toBe(String(bytes.length));
  });

  it('--json sends JSON with Content-Type and Accept', async () => {
    const seen = seenOf(await nq(['--json', '{"a":[1,2]}', `${base}/echo`]));
    expect(seen.method).toBe('POST');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.accept).toBe('application/json');
    expect(seen.body).toBe('{"a":[1,2]}');
  });

  it('-u sends Basic credentials; without a colon it is a usage error', async () => {
    const seen = seenOf(await nq(['-u', 'ann:s3cret', `${base}/echo`]));
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('ann:s3cret').toString('base64')}`);
    const bad = await nq(['-u', 'ann', `${base}/echo`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/-u takes USER:PASSWORD, got "ann"/);
  });

  it('a body given twice is refused', async () => {
    const run = await nq(['-d', 'a=1', `${base}/echo`, 'b=2']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the body is given twice/);
  });
});

describe('TLS, HTTP versions, proxy and resolver', { timeout: LIMIT }, () => {
  it('without a trusted CA the certificate is refused (exit 1, SSLError on stderr); -k, --verify no and --cacert accept it', async () => {
    const refused = await nq([`${secureBase}/echo`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^nodequests: SSLError: /);
    expect(refused.stdout.length).toBe(0);
    for (const flags of [['-k'], ['--verify', 'no'], ['--cacert', pki.caPath], ['--verify', pki.caPath]]) {
      const run = await nq([...flags, `${secureBase}/echo`]);
      expect(run.code, `${flags.join(' ')}: ${run.stderr}`).toBe(0);
    }
  });

  it('--cert/--key present a client certificate', async () => {
    const withCert = seenOf(await nq(['--cacert', pki.caPath, '--cert', pki.client.certPath, '--key', pki.client.keyPath, `${secureBase}/echo`]));
    expect(withCert.clientCert).toBe('nodequests client');
    const without = seenOf(await nq(['--cacert', pki.caPath, `${secureBase}/echo`]));
    expect(without.clientCert).toBeUndefined();
    const keyAlone = await nq(['--key', pki.client.keyPath, `${secureBase}/echo`]);
    expect(keyAlone.stderr).toMatch(/--key needs --cert/);
  });

  it('--http1.1 keeps to HTTP/1.1 where h2 is offered; --http2 speaks HTTP/2, over TLS and as h2c', async () => {
    const h1 = seenOf(await nq(['-k', '--http1.1', `${secureBase}/echo`]));
    expect(h1.httpVersion).toBe('1.1');
    const h2 = seenOf(await nq(['-k', '--http2', `${secureBase}/echo`]));
    expect(h2.httpVersion).toBe('2.0');
    const clear = await nq(['--http2', '-i', `${h2cBase}/echo`]);
    expect(clear.out).toMatch(/^HTTP\/2 200 OK\r\n/);
  });

  it('-x sends the request through the proxy', async () => {
    const run = await nq(['-x', proxy.url, `${base}/echo?via=proxy`]);
    expect(seenOf(run).headers.via).toBe('1.1 test-proxy');
    expect(proxy.seen.map((s) => s.line)).toContain(`GET ${base}/echo?via=proxy`);
  });

  it('--resolver resolves a made-up name to the local server', async () => {
    const port = new URL(base).port;
    const run = await nq(['--resolver', 'in-memory://default/?hosts=only-here.test:127.0.0.1', `http://only-here.test:${port}/echo`]);
    expect(run.code, run.stderr).toBe(0);
    expect(seenOf(run).headers.host).toBe(`only-here.test:${port}`);
  });
});

describe('redirects, time limits and exit status', { timeout: LIMIT }, () => {
  it('a redirect is shown, not followed, by default; -L follows it; --max-redirs limits it (exit 3)', async () => {
    const shown = await nq(['-i', `${base}/redirect/2`]);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/^HTTP\/1\.1 302 Found\r\n/);
    const followed = await nq(['--follow', `${base}/redirect/2`]);
    expect(seenOf(followed).url).toBe('/echo');
    const limited = await nq(['-L', '--max-redirs', '1', `${base}/redirect/2`]);
    expect(limited.code).toBe(3);
    expect(limited.stderr).toMatch(/^nodequests: TooManyRedirects: Exceeded 1 redirects?/);
  });

  it('--check-status: 4 for a 4xx, 5 for a 5xx, 3 for a 3xx not followed; without it a 4xx exits 0', async () => {
    const runs = await Promise.all([
      nq(['--check-status', `${base}/status/404`]),
      nq(['--check-status', `${base}/status/503`]),
      nq(['--check-status', `${base}/status/301`]),
      nq([`${base}/status/404`]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([4, 5, 3, 0]);
    expect(runs[0]!.stderr).toMatch(/warning: HTTP 404 Not Found/);
    expect(runs[0]!.out).toBe('status 404');
  });

  it('-m, --timeout and --connect-timeout end a request that takes too long with exit 2', async () => {
    const runs = await Promise.all([
      nq(['-m', '0.3', `${base}/slow`]),
      nq(['--timeout', '0.3', `${base}/slow`]),
      nq(['-k', '--connect-timeout', '0.3', `https://127.0.0.1:${silentPort}/`]),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^nodequests: (Read|Connect)?Timeout: /);
    }
    expect(runs[2]!.stderr).toMatch(/^nodequests: ConnectTimeout: /);
  });

  it('a time that is not a number of seconds is a usage error that names it', async () => {
    const run = await nq(['--timeout', 'abc', `${base}/echo`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--timeout takes a number of seconds greater than 0, got "abc"/);
    const redirs = await nq(['--max-redirs', 'many', `${base}/echo`]);
    expect(redirs.stderr).toMatch(/--max-redirs takes a whole number >= 0, got "many"/);
  });

  it('a refused connection exits 1 with the error on stderr and nothing on stdout', async () => {
    const run = await nq([`http://127.0.0.1:${silentPort + 0}/`.replace(String(silentPort), '1')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^nodequests: ConnectionError: .*ECONNREFUSED/);
    expect(run.stdout.length).toBe(0);
  });
});

describe('output', { timeout: LIMIT }, () => {
  it('piped, the body is written raw (binary included) and nothing else', async () => {
    const run = await nq([`${base}/bin`]);
    expect(run.code).toBe(0);
    expect(run.stdout.equals(Buffer.from([0x89, 0x50, 0, 1, 2, 0xff]))).toBe(true);
    expect(run.stderr).toBe('');
  });

  it('-i adds the status line and headers (CRLF, as received); -I sends HEAD and prints the head only', async () => {
    const inc = await nq(['-i', `${base}/text`]);
    expect(inc.out).toMatch(/^HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain\r\n[^]*\r\n\r\nplain words\n$/);
    const head = await nq(['-I', `${base}/echo`]);
    expect(head.out).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n$/);
    expect(head.out).toContain('x-served: yes\r\n');
  });

  it('-v tells the connection, the request head and the response head on stderr; stdout keeps the body', async () => {
    const run = await nq(['-v', '-H', 'X-Mine: 1', `${base}/text`]);
    expect(run.out).toBe('plain words\n');
    expect(run.stderr).toContain(`* Connected to 127.0.0.1 port ${new URL(base).port} (HTTP/1.1)`);
    expect(run.stderr).toMatch(/GET \/text\nHost: 127\.0\.0\.1:\d+\n[^]*X-Mine: 1\n/);
    expect(run.stderr).toMatch(/HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain/);
    const tls = await nq(['-v', '--cacert', pki.caPath, `${secureBase}/text`]);
    expect(tls.stderr).toMatch(/\* TLS TLSv1\.[23], TLS_/);
    expect(tls.stderr).toMatch(/\* Server certificate: .*127\.0\.0\.1/);
  });

  it('--pretty=all indents and colours JSON and the head; --pretty=format indents without colour', async () => {
    const all = await nq(['--pretty=all', `${base}/echo`]);
    expect(all.out).toContain('\u001b[');
    expect(all.out).toMatch(/\n\{\n {2}\S*"method"\S*: \S*"GET"/);
    const format = await nq(['--pretty', 'format', `${base}/echo`]);
    expect(format.out).not.toContain('\u001b[');
    expect(format.out).toMatch(/^HTTP\/1\.1 200 OK\ncontent-type: application\/json\n[^]*\n\n\{\n {2}"method": "GET",\n/);
    const bad = await nq(['--pretty', 'loud', `${base}/echo`]);
    expect(bad.stderr).toMatch(/--pretty takes all, format, colors or none, got "loud"/);
  });

  it('formatted (as on a terminal), a binary body is not printed', async () => {
    const run = await nq(['--pretty=format', `${base}/bin`]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('NOTE: binary data not shown in terminal');
    expect(run.stdout.includes(Buffer.from([0x89, 0x50, 0]))).toBe(false);
  });

  it('-o streams a 256 MiB body to a file: the process stays far below the body size', async () => {
    const file = join(dir, 'big.bin');
    const [big, small] = await Promise.all([
      nq(['-o', file, `${base}/big`], { rss: true }),
      nq(['-o', join(dir, 'small.bin'), `${base}/text`], { rss: true }),
    ]);
    expect(big.code, big.stderr).toBe(0);
    expect(big.stdout.length).toBe(0);
    expect(statSync(file).size).toBe(BIG);
    expect(readFileSync(join(dir, 'small.bin'), 'utf8')).toBe('plain words\n');
    const rss = (run: Run) => Number(/maxrss=(\d+)/.exec(run.stderr)?.[1]) * 1024;
    expect(rss(big) - rss(small), `peak RSS ${rss(big)} vs ${rss(small)} for a small body`).toBeLessThan(BIG / 2);
  });
});
