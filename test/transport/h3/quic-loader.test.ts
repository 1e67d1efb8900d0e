import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki } from '../../helpers/certs.js';
import { startH3Server, type H3Server } from '../../helpers/h3-server.js';
import { until } from '../../helpers/until.js';
import { loadQuic, stopReceiving } from '../../../dist/src/transport/h3/quic-loader.js';

const indexUrl = new URL('../../../dist/src/index.js', import.meta.url).href;
const BLOCK = Buffer.alloc(64 * 1024, 1);
let server: H3Server;
let origin: string;

beforeAll(async () => {
  const pki = makePki();
  // 16 MiB: far more than a round reads before it closes, so datagrams keep coming.
  server = await startH3Server({ cert: pki.server.cert, key: pki.server.key, handler: () => ({ body: Array.from({ length: 256 }, () => BLOCK) }) });
  origin = `https://127.0.0.1:${server.port}`;
});
afterAll(() => server.close());

/** Runs a script in a fresh process (killed after 20 s): its output, exit code, signal and fatal error. */
async function script(code: string): Promise<{ out: string; code: number | null; signal: string | null; fatal: string | null }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [exitCode, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(watchdog);
  return { out: out.trim(), code: exitCode, signal, fatal: err.match(/FATAL ERROR.*|Error.*/)?.[0] ?? null };
}

// On Node 20 a thread stopped while a UDP socket of its own receives can take the whole
// process down ("FATAL ERROR: v8::FromJust Maybe value is Nothing" in UDPWrap::OnRecv): a
// datagram handled as the thread is terminated. A transport worker is stopped when the last
// session closes and when the process exits, often in the middle of a QUIC download.
describe('the QUIC sockets of a transport worker', () => {
  it('stop receiving before the worker is stopped: a script that closes sessions mid-download, carries on, then exits ends cleanly', async () => {
    // The first session's close stops the engine's workers while the process carries on (50 ms
    // later, or once they have shut down); the second's is followed by the process's exit.
    const code = `
      import { AsyncSession } from '${indexUrl}';
      for (const last of [false, true]) {
        const s = new AsyncSession({ verify: false, http3Origins: ['${origin}'] });
        const r = await s.get('${origin}/big', { stream: true });
        for await (const chunk of r.iterContent(null)) break;
        console.log(r.httpVersion);
        await s.close();
        if (!last) await new Promise((r) => setTimeout(r, 100));
      }`;
    // Before the fix about half the processes were brought down, most at their exit, so eight
    // catch it all but certainly.
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await script(code));
    expect(results).toEqual(results.map(() => ({ out: 'HTTP/3\nHTTP/3', code: 0, signal: null, fatal: null })));
  });

  // Last: it stops every QUIC socket this process starts from now on (the server's was started before).
  it('stopReceiving: they read no more datagrams, started before it or after, and can still send', async () => {
    const quic = await loadQuic();
    const silent = { getChild: () => silent, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const probePort = (probe.address() as AddressInfo).port;
    const heard: string[] = [];
    probe.on('message', (m: Buffer) => heard.push(m.toString()));
    const open = async () => {
      const socket = new quic.QUICSocket({ logger: silent as never });
      await socket.start({ host: '127.0.0.1' });
      let read = 0;
      (socket as unknown as { socket: dgram.Socket }).socket.on('message', () => read++);
      return { socket, read: () => read };
    };
    // Loopback delivers a datagram before send() calls back; a few turns later it has been read, if it is read.
    const sendTo = async (port: number) => {
      await new Promise((r) => probe.send('x', port, '127.0.0.1', r));
      await new Promise((r) => setTimeout(r, 20));
    };
    const before = await open();
    await sendTo(before.socket.port);
    expect(before.read()).toBe(1);
    stopReceiving();
    const after = await open();
    await sendTo(before.socket.port);
    await sendTo(after.socket.port);
    expect([before.read(), after.read()]).toEqual([1, 0]);
    await before.socket.send(Buffer.from('still sends'), probePort, '127.0.0.1');
    await until(() => heard.length > 0, () => 'the datagram sent after stopReceiving');
    expect(heard).toEqual(['still sends']);
    await Promise.all([before.socket.stop({ force: true }), after.socket.stop({ force: true })]);
    probe.close();
  });
});
