// Starts Debian's tinyproxy (HTTP forward proxy and CONNECT) and dante (SOCKS5) on loopback
// from generated configs, for test/interop/proxies.test.ts. Each start function returns
// { url, stop } or throws when the program is missing; `checkProxies` says what is missing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './peers.mjs';

const TINYPROXY = ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy'].find((p) => existsSync(p));
const DANTED = ['/usr/sbin/danted', '/usr/sbin/sockd'].find((p) => existsSync(p));

export function checkProxies() {
  return {
    tinyproxy: TINYPROXY ? null : 'tinyproxy is not installed; run scripts/interop/install.sh',
    dante: DANTED ? null : 'dante-server is not installed; run scripts/interop/install.sh',
  };
}

async function untilListening(port, child, name) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not listen on ${port}`);
}

/** tinyproxy allowing CONNECT to `connectPorts` (it refuses CONNECT to any other port). */
export async function startTinyproxy({ connectPorts = [] } = {}) {
  if (!TINYPROXY) throw new Error(checkProxies().tinyproxy);
  const dir = mkdtempSync(join(tmpdir(), 'nq-tinyproxy-'));
  const port = await freePort();
  const conf = join(dir, 'tinyproxy.conf');
  writeFileSync(conf, [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 60', 'Allow 127.0.0.1', 'LogLevel Error', ...connectPorts.map((p) => `ConnectPort ${p}`), ''].join('\n'));
  const child = spawn(TINYPROXY, ['-d', '-c', conf], { stdio: 'ignore' });
  await untilListening(port, child, 'tinyproxy');
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** dante as a SOCKS5 proxy without authentication, for loopback clients and targets. */
export async function startDante() {
  if (!DANTED) throw new Error(checkProxies().dante);
  const dir = mkdtempSync(join(tmpdir(), 'nq-dante-'));
  const port = await freePort();
  const conf = join(dir, 'danted.conf');
  const unprivileged = spawnSync('id', ['-u']).stdout.toString().trim() === '0' ? ['user.unprivileged: root'] : [];
  writeFileSync(conf, ['logoutput: stderr', `internal: 127.0.0.1 port = ${port}`, 'external: 127.0.0.1', 'socksmethod: none', 'clientmethod: none', ...unprivileged, 'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }', 'socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }', ''].join('\n'));
  const child = spawn(DANTED, ['-f', conf], { stdio: 'ignore' });
  await untilListening(port, child, 'danted');
  return { url: `socks5h://127.0.0.1:${port}`, stop: () => child.kill() };
}
