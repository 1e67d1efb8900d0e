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
      if (!res.headersSent) res.writeHead(502);
      res.end('bad gateway');
    });
    // A client that goes away mid-answer takes the upstream request with it, as real proxies do.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
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

/**
 * A SOCKS5 proxy, CONNECT only. Without `credentials` it asks for no authentication; with
 * them it asks for username/password (RFC 1929) and refuses others. It resolves names with
 * the system resolver (so `localhost` works and made-up names fail, code 4: host unreachable).
 */
export async function startSocks5Proxy(credentials?: { username: string; password: string }): Promise<TestProxy> {
  const seen: TestProxy['seen'] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer(async (client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    const read = reader(client);
    try {
      const [version, n] = await read(2);
      const methods = [...(await read(n!))];
      if (version !== 5) return client.destroy();
      let auth: string | undefined;
      if (credentials) {
        if (!methods.includes(2)) return client.end(Buffer.from([5, 0xff]));
        client.write(Buffer.from([5, 2]));
        const [, ulen] = await read(2);
        const user = (await read(ulen!)).toString();
        const [plen] = await read(1);
        const pass = (await read(plen!)).toString();
        auth = `${user}:${pass}`;
        const ok = user === credentials.username && pass === credentials.password;
        client.write(Buffer.from([1, ok ? 0 : 1]));
        if (!ok) return client.end();
      } else {
        client.write(Buffer.from([5, 0]));
      }
      const [, , , atyp] = await read(4);
      let host: string;
      if (atyp === 1) host = [...(await read(4))].join('.');
      else if (atyp === 4) host = `[${(await read(16)).toString('hex').match(/.{4}/g)!.join(':')}]`;
      else host = (await read((await read(1))[0]!)).toString();
      const port = (await read(2)).readUInt16BE(0);
      seen.push({ line: `SOCKS5 CONNECT ${host}:${port}`, auth });
      const upstream = net.connect(port, host.replace(/^\[|\]$/g, ''), () => {
        client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.end(Buffer.from([5, 4, 0, 1, 0, 0, 0, 0, 0, 0])));
    } catch {
      client.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const cred = credentials ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@` : '';
  return {
    url: `socks5h://${cred}127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Exactly n bytes at a time from a socket, for the handshake; the rest stays unread. */
function reader(socket: net.Socket): (n: number) => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  let want: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  const serve = (): void => {
    if (want && buffered.length >= want.n) {
      const { n, resolve } = want;
      want = null;
      const out = buffered.subarray(0, n);
      buffered = buffered.subarray(n);
      if (buffered.length === 0) socket.off('data', onData).pause();
      resolve(out);
    }
  };
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    serve();
  };
  socket.on('close', () => want?.reject(new Error('closed')));
  return (n) =>
    new Promise((resolve, reject) => {
      want = { n, resolve, reject };
      if (socket.listenerCount('data') === 0) socket.on('data', onData).resume();
      serve();
    });
}
