/**
 * The benchmark's fallback HTTP server (used when nginx is not installed): a node:http
 * server answering every request with a small body. Run it as a child process: it prints
 * `{"port":N}` on stdout once listening and exits when its stdin closes.
 *
 *   node dist/bench/server.js
 */
import http from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const BODY = Buffer.from('ok\n');

function serve(): void {
  const server = http.createServer((req, res) => {
    // Drain any request body, then answer at once.
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
}

/** A running benchmark server in another process. */
export interface BenchServer {
  /** What serves it, for the report: "node:http" or "nginx 1.22.1". */
  name: string;
  url: string;
  /** The server's process id (its workers are its children), for its CPU time. */
  pid?: number;
  stop(): Promise<void>;
}

/** Starts this file as a child process and resolves once it listens. */
export async function startNodeServer(): Promise<BenchServer> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let text = '';
  while (!text.includes('\n')) {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    text += chunk.toString();
  }
  const { port } = JSON.parse(text) as { port: number };
  return {
    name: `node:http (${process.version}, child process)`,
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve();
