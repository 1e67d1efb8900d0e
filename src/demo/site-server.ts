/**
 * Serves the demo site on 127.0.0.1 in its own process (so a synchronous client can crawl it
 * too). Prints `{"port":N,"broken":B,"redirects":R}` on stdout (the broken links and redirects
 * it has on purpose), and exits when stdin closes or on SIGTERM.
 *
 * @example
 * ```sh
 * node dist/src/demo/site-server.js --pages 300
 * ```
 */
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { ROBOTS_TXT, buildSite } from './site.js';

const pagesArg = process.argv.indexOf('--pages');
const site = buildSite({ pages: pagesArg > 0 ? Number(process.argv[pagesArg + 1]) : 300 });
// Large pages go out gzipped, so a crawl also exercises decoding in the workers.
const gzipped = new Map([...site.values()].filter((p) => p.body.length > 256 * 1024).map((p) => [p.path, gzipSync(p.body)]));

const server = createServer((req, res) => {
  if (req.url === '/robots.txt') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(ROBOTS_TXT);
    return;
  }
  const page = site.get((req.url ?? '/').split('?')[0]!);
  if (!page) {
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<h1>Not found</h1>');
    return;
  }
  setTimeout(() => {
    if (page.status === 302) {
      res.writeHead(302, { location: page.location });
      res.end();
      return;
    }
    const zipped = gzipped.get(page.path);
    if (zipped && /\bgzip\b/.test(String(req.headers['accept-encoding']))) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip', 'content-length': zipped.length });
      res.end(zipped);
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page.body) });
      res.end(page.body);
    }
  }, page.delayMs);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const linked = new Set([...site.values()].flatMap((p) => p.links));
  const broken = [...linked].filter((l) => !site.has(l) && !l.startsWith('/private/')).length;
  const redirects = [...site.values()].filter((p) => p.status === 302).length;
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0, broken, redirects })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
