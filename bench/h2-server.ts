/**
 * A `node:http2` TLS server for the HTTP/2 bench, run as its own process: prints
 * `{"port":N}` and exits when stdin closes. Small bodies, a high stream limit.
 *
 *   node dist/bench/h2-server.js CERT.pem KEY.pem
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';

const [certPath, keyPath] = process.argv.slice(2);
const server = http2.createSecureServer({ cert: readFileSync(certPath!), key: readFileSync(keyPath!), settings: { maxConcurrentStreams: 1000 } });
server.on('stream', (stream) => {
  stream.respond({ ':status': 200, 'content-type': 'text/plain' });
  stream.end('ok\n');
});
server.on('sessionError', () => {});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof a === 'object' && a ? a.port : 0 })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
