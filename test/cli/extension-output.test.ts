import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/** Runs the command with `input` on stdin; killed (and failed) after 20 s. */
function nq(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nodequests ${args.join(' ')} still running after 20 s; stdout so far: ${JSON.stringify(stdout)}, stderr: ${JSON.stringify(stderr)}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(watchdog);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end('data: first\n\nevent: x\ndata: second\n\n');
});
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  if (req.url === '/deny') return socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\nno');
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.send(Buffer.from([0xde, 0xad]));
    ws.on('message', (d, binary) => ws.send(binary ? d : `echo ${d.toString()}`));
  });
});
let port: number;
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  wss.close();
  return new Promise<void>((r) => server.close(() => r()));
});

describe('nodequests get for WebSockets and event streams', () => {
  it('sends stdin lines, prints each message on a line (binary as base64), closes at the end of stdin', async () => {
    const r = await nq(['get', `ws://127.0.0.1:${port}/`], 'one\ntwo\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${Buffer.from([0xde, 0xad]).toString('base64')}\necho one\necho two\n`);
    expect(r.code).toBe(0);
  });

  it('prints the data of each event', async () => {
    const r = await nq(['get', `psse://127.0.0.1:${port}/`], '');
    expect(r.stdout).toBe('first\nsecond\n');
    expect(r.code).toBe(0);
  });

  it('a refused upgrade prints its status and body and exits 1', async () => {
    const r = await nq(['get', `ws://127.0.0.1:${port}/deny`], '');
    expect(r.stderr).toMatch(/403 Forbidden/);
    expect(r.stdout).toBe('no');
    expect(r.code).toBe(1);
  });
});
