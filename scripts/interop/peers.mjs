#!/usr/bin/env node
// Real servers for the interop tests, on loopback only: Debian's nginx (a static dir with a
// small file, a 32 MiB file, a gzip_static-precompressed file and gzip on for text; HTTP/1.1),
// httpbin under gunicorn, unbound serving a local zone over UDP/TCP, TLS and HTTPS,
// websocketd wrapping cat and a python3-websockets echo server (WebSocket), and an event
// stream served by python3-aiohttp, and caddy serving files over HTTP/3 (and HTTP/1.1 and
// HTTP/2 on the same port, announcing h3 by Alt-Svc). Each starts on 127.0.0.1 and a free port, from files in a temp
// dir, and is stopped (and its dir removed) by its `stop()`. scripts/interop/install.sh
// installs them; when one is not installed it is reported missing, with the reason.
//
// As a module:
//   import { startPeers, checkPeers } from './peers.mjs';
//   checkPeers()                       -> { nginx: null | 'why not', httpbin: null | 'why not' }
//   await startPeers({ only: ['nginx'] }) -> { nginx?: { url, stop, files, ... }, httpbin?: { url, stop }, missing: { name: reason } }
// As a CLI:
//   node scripts/interop/peers.mjs           starts both, prints their URLs as JSON, stops on Ctrl-C or stdin end
//   node scripts/interop/peers.mjs --check   prints which are available and exits (1 if some is missing)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const START_LIMIT_MS = 20_000;
const DEBIAN_PYTHON = '/usr/bin/python3';

/** Children still running, killed if this process exits without stopping them. */
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function which(name, extraDirs = []) {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs]) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** How to run gunicorn with httpbin importable, or the reason there is none. */
function httpbinCommand() {
  const imports = (python, modules) => spawnSync(python, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0;
  const pythons = [DEBIAN_PYTHON, which('python3')].filter((p, i, a) => p && a.indexOf(p) === i);
  for (const python of pythons) {
    try {
      accessSync(python, constants.X_OK);
    } catch {
      continue;
    }
    if (imports(python, 'gunicorn, httpbin')) return { command: [python, '-m', 'gunicorn'] };
  }
  const gunicorn = which('gunicorn', ['/usr/bin']);
  if (gunicorn && pythons.some((p) => imports(p, 'httpbin'))) return { command: [gunicorn] };
  const hasHttpbin = pythons.some((p) => imports(p, 'httpbin'));
  const why = [!hasHttpbin && 'python3-httpbin (import httpbin fails under /usr/bin/python3)', !gunicorn && 'gunicorn'].filter(Boolean).join(' and ');
  return { reason: `${why} not installed; run scripts/interop/install.sh` };
}

function nginxCommand() {
  const bin = which('nginx', ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin']);
  return bin ? { command: [bin] } : { reason: 'nginx is not installed; run scripts/interop/install.sh' };
}

function unboundCommand() {
  const bin = which('unbound', ['/usr/sbin', '/usr/local/sbin']);
  if (!bin) return { reason: 'unbound is not installed; run scripts/interop/install.sh' };
  if (!which('openssl')) return { reason: 'openssl (to make unbound a certificate) is not installed' };
  return { command: [bin] };
}

/** Whether Debian's python3 imports `module`, or the reason it cannot. */
function pythonModule(module, pkg) {
  const ok = spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
  return ok ? null : `${pkg} is not installed (import ${module} fails under ${DEBIAN_PYTHON}); run scripts/interop/install.sh`;
}

/** Which peers could start here: `null` for available, else the reason it is missing. */
export function checkPeers() {
  return {
    nginx: nginxCommand().reason ?? null,
    httpbin: httpbinCommand().reason ?? null,
    unbound: unboundCommand().reason ?? null,
    websocketd: which('websocketd', ['/usr/bin']) && which('cat', ['/usr/bin', '/bin']) ? null : 'websocketd is not installed; run scripts/interop/install.sh',
    pywebsockets: pythonModule('websockets', 'python3-websockets'),
    aiohttp: pythonModule('aiohttp', 'python3-aiohttp'),
    caddy: which('caddy', ['/usr/bin']) ? (which('openssl') ? null : 'openssl (to make caddy a certificate) is not installed') : 'caddy is not installed; run scripts/interop/install.sh',
  };
}

export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once `url` answers an HTTP request (any status), or rejects on timeout or exit. */
async function waitUntilAnswers(url, child, name, output) {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before answering: ${output().trim().slice(-2000)}`);
    }
    const ok = await new Promise((resolve) => {
      const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - started > START_LIMIT_MS) throw new Error(`${name} did not answer ${url} within ${START_LIMIT_MS} ms: ${output().trim().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function supervise(child) {
  running.add(child);
  let output = '';
  child.stdout?.on('data', (c) => (output = (output + c).slice(-8000)));
  child.stderr?.on('data', (c) => (output = (output + c).slice(-8000)));
  child.once('exit', () => running.delete(child));
  const stop = async (signal) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return { output: () => output, stop };
}

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * nginx serving a temp dir. `files` describes what it serves: `small`, `big` (32 MiB of
 * random bytes), `text` (with a precompressed `text.txt.gz` for gzip_static) and `dynamic`
 * (text that `gzip on` compresses on the fly); each with `path`, `size`, `sha256`.
 * `/conn` answers "<connection serial> <requests on it>" so tests can see keep-alive reuse.
 */
export async function startNginx() {
  const { command, reason } = nginxCommand();
  if (!command) throw new Error(reason);
  const dir = mkdtempSync(join(tmpdir(), 'nodequests-interop-nginx-'));
  const www = join(dir, 'www');
  mkdirSync(www);
  mkdirSync(join(dir, 'tmp'));
  const small = Buffer.from('hello from nginx\n');
  const big = randomBytes(32 << 20);
  const line = (i) => `line ${i}: the quick brown fox jumps over the lazy dog\n`;
  const text = Buffer.from(Array.from({ length: 2000 }, (_, i) => line(i)).join(''));
  const dynamic = Buffer.from(JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => ({ id: i, name: `item ${i}` })) }));
  const gz = gzipSync(text, { level: 9 });
  writeFileSync(join(www, 'small.txt'), small);
  writeFileSync(join(www, 'big.bin'), big);
  writeFileSync(join(www, 'text.txt'), text);
  writeFileSync(join(www, 'text.txt.gz'), gz);
  writeFileSync(join(www, 'dynamic.json'), dynamic);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  // master_process off: one process, which stays the user that started it (so it can read the
  // 0700 temp dir when that is root) and leaves no orphaned workers if it is killed.
  writeFileSync(
    conf,
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  types { text/plain txt; application/json json; application/octet-stream bin; }
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  keepalive_timeout 60s;
  keepalive_requests 10000;
  gzip on;
  gzip_types text/plain application/json;
  gzip_min_length 20;
  gzip_static on;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${www};
    location = /conn {
      default_type text/plain;
      return 200 "$connection $connection_requests\\n";
    }
  }
}
`,
  );
  const child = spawn(command[0], [...command.slice(1), '-p', dir, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const sup = supervise(child);
  const stop = async () => {
    await sup.stop('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswers(`${url}/small.txt`, child, 'nginx', sup.output);
  } catch (err) {
    await stop();
    throw err;
  }
  const describe = (path, buf) => ({ path, size: buf.length, sha256: sha256(buf) });
  return {
    url,
    port,
    stop,
    files: {
      small: describe('/small.txt', small),
      big: describe('/big.bin', big),
      text: { ...describe('/text.txt', text), gz: describe('/text.txt.gz', gz) },
      dynamic: describe('/dynamic.json', dynamic),
    },
  };
}

/** httpbin 0.7 under gunicorn with two workers. */
export async function startHttpbin() {
  const { command, reason } = httpbinCommand();
  if (!command) throw new Error(reason);
  const port = await freePort();
  const child = spawn(command[0], [...command.slice(1), '-w', '2', '-b', `127.0.0.1:${port}`, '--log-level', 'warning', 'httpbin:app'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const sup = supervise(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswers(`${url}/get`, child, 'httpbin (gunicorn)', sup.output);
  } catch (err) {
    await sup.stop('SIGTERM');
    throw err;
  }
  return { url, port, stop: () => sup.stop('SIGTERM') };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`, or rejects on timeout or exit. */
async function waitUntilListening(port, child, name, output) {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening: ${output().trim().slice(-2000)}`);
    }
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - started > START_LIMIT_MS) throw new Error(`${name} did not listen on ${port} within ${START_LIMIT_MS} ms: ${output().trim().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * unbound serving the static zone `interop.test` (`zone`: name to IPv4 address, by default
 * www.interop.test at 127.0.0.1; every name under wild.interop.test is 127.0.0.1 too; other
 * names of the zone are NXDOMAIN) over UDP and TCP
 * (`ports.udp`), TLS (`ports.tls`) and HTTPS (`ports.https`, RFC 8484 at /dns-query, HTTP/2
 * only), with a self-signed certificate for 127.0.0.1 made for it (`sha256` of its DER, to pin).
 */
export async function startUnbound({ zone = { 'www.interop.test': '127.0.0.1' } } = {}) {
  const { command, reason } = unboundCommand();
  if (!command) throw new Error(reason);
  const dir = mkdtempSync(join(tmpdir(), 'nodequests-interop-unbound-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=unbound interop', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' });
  const der = Buffer.from(readFileSync(join(dir, 'cert.pem'), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const ports = { udp: await freePort(), tls: await freePort(), https: await freePort() };
  const conf = join(dir, 'unbound.conf');
  writeFileSync(
    conf,
    `server:
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  num-threads: 1
  do-ip6: no
  interface: 127.0.0.1@${ports.udp}
  interface: 127.0.0.1@${ports.tls}
  interface: 127.0.0.1@${ports.https}
  port: ${ports.udp}
  tls-port: ${ports.tls}
  https-port: ${ports.https}
  tls-service-key: "${dir}/key.pem"
  tls-service-pem: "${dir}/cert.pem"
  http-endpoint: "/dns-query"
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  local-zone: "interop.test." static
  local-zone: "wild.interop.test." redirect
  local-data: "wild.interop.test. 60 IN A 127.0.0.1"
${Object.entries(zone).map(([name, address]) => `  local-data: "${name}. 60 IN A ${address}"`).join('\n')}
remote-control:
  control-enable: no
`,
  );
  const child = spawn(command[0], ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const sup = supervise(child);
  const stop = async () => {
    await sup.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of Object.values(ports)) await waitUntilListening(port, child, 'unbound', sup.output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `dou://127.0.0.1:${ports.udp}`, port: ports.udp, ports, sha256: sha256(der), stop };
}

/** Starts `command` on a free port (given by `args(port)`) and waits until it answers HTTP. */
async function startServer(name, command, args, env = {}) {
  const port = await freePort();
  const child = spawn(command, args(port), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env } });
  const sup = supervise(child);
  try {
    await waitUntilAnswers(`http://127.0.0.1:${port}/`, child, name, sup.output);
  } catch (err) {
    await sup.stop('SIGTERM');
    throw err;
  }
  return { url: `ws://127.0.0.1:${port}`, port, stop: () => sup.stop('SIGTERM') };
}

/** websocketd wrapping `cat`: each text line sent comes back as a message. `url` is ws://. */
export async function startWebsocketd() {
  return startServer('websocketd', which('websocketd', ['/usr/bin']), (port) => ['--address=127.0.0.1', `--port=${port}`, '--loglevel=error', which('cat', ['/usr/bin', '/bin'])]);
}

/** A python3-websockets (10.x) echo server: every message back as it came. `url` is ws://. */
export async function startPyWebsockets() {
  const script = `
import asyncio, sys, websockets
async def echo(ws, path=None):
    async for message in ws:
        await ws.send(message)
async def main():
    async with websockets.serve(echo, '127.0.0.1', int(sys.argv[1]), max_size=2**25):
        await asyncio.Future()
asyncio.run(main())
`;
  return startServer('python3-websockets', DEBIAN_PYTHON, (port) => ['-c', script, String(port)]);
}

/**
 * An event stream served by python3-aiohttp: GET /events sends `count` events (query, 5 by
 * default) `id: i`, `event: tick`, `data: {"i": i}`, resuming after Last-Event-ID.
 * `url` is http://.
 */
export async function startAiohttp() {
  const script = `
import json, sys
from aiohttp import web
async def events(request):
    response = web.StreamResponse(headers={'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache'})
    await response.prepare(request)
    start = int(request.headers.get('Last-Event-ID', '0'))
    for i in range(start + 1, start + 1 + int(request.query.get('count', '5'))):
        await response.write(f'id: {i}\\nevent: tick\\ndata: {json.dumps({"i": i})}\\n\\n'.encode())
    await response.write_eof()
    return response
app = web.Application()
app.router.add_get('/events', events)
web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)
`;
  const peer = await startServer('python3-aiohttp', DEBIAN_PYTHON, (port) => ['-c', script, String(port)]);
  return { ...peer, url: `http://127.0.0.1:${peer.port}` };
}

/**
 * caddy serving a temp dir over HTTP/3 (UDP) and HTTP/1.1 and HTTP/2 (TCP) on one port of
 * 127.0.0.1, with a self-signed certificate for 127.0.0.1 (`sha256` of its DER, to pin) and
 * gzip and zstd for text. `files`: `small`, `big` (`bigSize` random bytes, 64 MiB by
 * default) and `text`; each with `path`, `size`, `sha256`. `url` is https://.
 */
export async function startCaddy({ bigSize = 64 * 1024 * 1024 } = {}) {
  const bin = which('caddy', ['/usr/bin']);
  if (!bin) throw new Error('caddy is not installed; run scripts/interop/install.sh');
  const dir = mkdtempSync(join(tmpdir(), 'nodequests-interop-caddy-'));
  const www = join(dir, 'www');
  mkdirSync(www);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=caddy interop', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' });
  const der = Buffer.from(readFileSync(join(dir, 'cert.pem'), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const contents = { small: Buffer.from('hello from caddy\n'), big: randomBytes(bigSize), text: Buffer.from('caddy compresses this line. '.repeat(4000)) };
  const names = { small: 'small.txt', big: 'big.bin', text: 'text.txt' };
  const files = {};
  for (const [key, body] of Object.entries(contents)) {
    writeFileSync(join(www, names[key]), body);
    files[key] = { path: `/${names[key]}`, size: body.length, sha256: sha256(body) };
  }
  const port = await freePort();
  writeFileSync(
    join(dir, 'Caddyfile'),
    `{
  admin off
  auto_https disable_redirects
  storage file_system ${dir}/data
  servers {
    protocols h1 h2 h3
  }
}
https://127.0.0.1:${port} {
  tls ${dir}/cert.pem ${dir}/key.pem
  root * ${www}
  encode zstd gzip
  file_server
}
`,
  );
  const child = spawn(bin, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } });
  const sup = supervise(child);
  const stop = async () => {
    await sup.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilListening(port, child, 'caddy', sup.output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `https://127.0.0.1:${port}`, port, files, sha256: sha256(der), stop };
}

const starters = { nginx: startNginx, httpbin: startHttpbin, unbound: startUnbound, websocketd: startWebsocketd, pywebsockets: startPyWebsockets, aiohttp: startAiohttp, caddy: startCaddy };

/**
 * Starts the peers that are installed (all, or those in `only`). Missing ones are listed in
 * `missing` with the reason; one that is installed but fails to start rejects the call.
 */
export async function startPeers({ only = Object.keys(starters) } = {}) {
  const available = checkPeers();
  const peers = { missing: {} };
  const started = [];
  try {
    for (const name of only) {
      if (!(name in starters)) throw new Error(`unknown peer ${name}; known: ${Object.keys(starters).join(', ')}`);
      if (available[name] !== null) {
        peers.missing[name] = available[name];
        continue;
      }
      const peer = await starters[name]();
      started.push(peer);
      peers[name] = peer;
    }
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    throw err;
  }
  return peers;
}

async function main(argv) {
  if (argv.includes('--check')) {
    const available = checkPeers();
    for (const [name, why] of Object.entries(available)) console.log(`${name}: ${why === null ? 'available' : `missing (${why})`}`);
    process.exitCode = Object.values(available).every((v) => v === null) ? 0 : 1;
    return;
  }
  const peers = await startPeers();
  const shown = { missing: peers.missing };
  for (const name of Object.keys(starters)) if (peers[name]) shown[name] = { url: peers[name].url };
  console.log(JSON.stringify(shown));
  const stopAll = async () => {
    await Promise.all(Object.keys(starters).map((n) => peers[n]?.stop()));
    process.exit(0);
  };
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
  process.stdin.on('end', stopAll);
  process.stdin.resume();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
