import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestProxy {
  url: string;
  /** What reached the proxy: request lines and Proxy-Authorization values. */
  seen: Array<{ line: string; auth: string | undefined }>;
  close(): Promise<void>;
}

/** A forward proxy (absolute-form requests) that also tunnels CONNECT, as tinyproxy does. */
export async function startHttpProxy(): Promise<TestProxy> {
  const seen: TestProxy['seen'] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push({ line: `${req.method} ${req.url}`, auth: req.headers['proxy-authorization'] });
    const target = new URL(req.url!);
    const headers = { ...req.headers, via: '1.1 test-proxy' };
    delete headers['proxy-authorization'];
    const upstream = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode!, { ...up.headers, via: '1.1 test-proxy' });
      up.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end('bad gateway');
    });
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push({ line: `CONNECT ${req.url}`, auth: req.headers['proxy-authorization'] });
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A SOCKS5 proxy (no auth, CONNECT only): names are resolved here, as socks5h asks. */
export async function startSocks5Proxy(): Promise<TestProxy> {
  const seen: TestProxy['seen'] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    client.once('data', (greeting) => {
      if (greeting[0] !== 5) return client.destroy();
      client.write(Buffer.from([5, 0]));
      client.once('data', (req) => {
        const atyp = req[3];
        let host: string;
        let at: number;
        if (atyp === 1) {
          host = [...req.subarray(4, 8)].join('.');
          at = 8;
        } else if (atyp === 3) {
          const n = req[4]!;
          host = req.subarray(5, 5 + n).toString();
          at = 5 + n;
        } else return client.destroy();
        const port = req.readUInt16BE(at);
        seen.push({ line: `SOCKS5 CONNECT ${host}:${port}`, auth: undefined });
        const upstream = net.connect(port, host === 'localhost' ? '127.0.0.1' : host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on('error', () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `socks5h://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
