import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Session, ConnectionError, ConnectTimeout, ReadTimeout, Timeout, InvalidURL, MissingSchema, InvalidSchema,
  InvalidHeader, HTTPError, JSONDecodeError, ChunkedEncodingError, StreamConsumedError, RequestException,
  InvalidOption, SessionClosedError,
} from '../dist/src/index.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

let server: ServerProcess;
let s: Session;
let silent: net.Server; // accepts TCP and never says a word: a TLS handshake there never ends
let silentPort: number;

beforeAll(async () => {
  server = await startServerProcess();
  s = new Session();
  silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as AddressInfo).port;
});
afterAll(async () => {
  s.close();
  silent.close();
  await server.close();
});

const caught = (fn: () => unknown): RequestException => {
  try {
    fn();
  } catch (e) {
    return e as RequestException;
  }
  throw new Error('expected a throw');
};

describe('errors', () => {
  it('InvalidURL, MissingSchema and InvalidSchema name the URL', () => {
    const missing = caught(() => s.get('example.test/path'));
    expect(missing).toBeInstanceOf(MissingSchema);
    expect(missing).toBeInstanceOf(InvalidURL);
    expect(missing.message).toContain('"example.test/path"');
    const schema = caught(() => s.get('ftp://127.0.0.1/x'));
    expect(schema).toBeInstanceOf(InvalidSchema);
    expect(schema.message).toContain('ftp');
    const invalid = caught(() => s.get('http://'));
    expect(invalid).toBeInstanceOf(InvalidURL);
    expect(invalid.code).toBe('NQ_ERR_INVALID_URL');
  });

  it('InvalidHeader names the header', () => {
    const e = caught(() => s.get(`${server.url}/`, { headers: { 'X-Bad': 'a\r\nInjected: 1' } }));
    expect(e).toBeInstanceOf(InvalidHeader);
    expect(e.message).toContain('X-Bad');
    expect(caught(() => s.get(`${server.url}/`, { headers: { 'Bad Name': 'v' } }))).toBeInstanceOf(InvalidHeader);
  });

  it('ConnectionError for a refused connection, carrying the request', () => {
    const e = caught(() => s.get('http://127.0.0.1:1/nothing'));
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.code).toBe('NQ_ERR_CONNECTION');
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.request?.url).toBe('http://127.0.0.1:1/nothing');
  });

  it('ConnectTimeout is both a ConnectionError and a Timeout', () => {
    const e = caught(() => s.get(`https://127.0.0.1:${silentPort}/`, { timeout: { connect: 300, read: 5000 } }));
    expect(e).toBeInstanceOf(ConnectTimeout);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e).toBeInstanceOf(Timeout);
    expect(e).not.toBeInstanceOf(ReadTimeout);
  });

  it('ReadTimeout when the head does not come, and when the body stalls', () => {
    const head = caught(() => s.get(`${server.url}/stall-head`, { timeout: 300 }));
    expect(head).toBeInstanceOf(ReadTimeout);
    expect(head).toBeInstanceOf(Timeout);
    expect(head).not.toBeInstanceOf(ConnectionError);
    const body = caught(() => s.get(`${server.url}/stall-body`, { timeout: 300 }));
    expect(body).toBeInstanceOf(ReadTimeout);
  });

  it('a read timeout bounds silence, not the whole download', () => {
    // /trickle takes a second but is never silent for more than 100 ms.
    const r = s.get(`${server.url}/trickle`, { timeout: { connect: 1000, read: 400 } });
    expect(r.text).toBe('..........');
  });

  it('a total timeout bounds the whole exchange', () => {
    const e = caught(() => s.get(`${server.url}/delay/2000`, { timeout: { connect: 1000, read: 5000, total: 300 } }));
    expect(e).toBeInstanceOf(Timeout);
    expect(e.message).toMatch(/total timeout \(300 ms of it left/);
  });

  it('HTTPError from raiseForStatus, with the response', () => {
    const r = s.get(`${server.url}/status/404`);
    expect(r.raiseForStatus).toBeDefined();
    const e = caught(() => r.raiseForStatus()) as HTTPError;
    expect(e).toBeInstanceOf(HTTPError);
    expect(e.message).toBe(`404 Client Error: Not Found for url: ${server.url}/status/404`);
    expect(e.response).toBe(r);
    expect(caught(() => s.get(`${server.url}/status/503`).raiseForStatus()).message).toMatch(/^503 Server Error: Service Unavailable/);
    const ok = s.get(`${server.url}/status/200`);
    expect(ok.raiseForStatus()).toBe(ok);
  });

  it('JSONDecodeError for a body that is not JSON, or empty', () => {
    const e = caught(() => s.get(`${server.url}/not-json`).json());
    expect(e).toBeInstanceOf(JSONDecodeError);
    expect(e).toBeInstanceOf(RequestException);
    const empty = s.get(`${server.url}/status/204`);
    expect(empty.content.length).toBe(0);
    expect(caught(() => empty.json())).toBeInstanceOf(JSONDecodeError);
  });

  it('ChunkedEncodingError for a truncated chunked body', () => {
    expect(caught(() => s.get(`${server.rawUrl}/truncated-chunked`))).toBeInstanceOf(ChunkedEncodingError);
  });

  it('InvalidHeader for conflicting Content-Length', () => {
    const e = caught(() => s.get(`${server.rawUrl}/double-length`));
    expect(e).toBeInstanceOf(InvalidHeader);
  });

  it('StreamConsumedError when content is asked for after streaming', () => {
    const r = s.get(`${server.url}/bytes/1000`, { stream: true });
    for (const _ of r.iterContent(100)) void _;
    expect(caught(() => r.content)).toBeInstanceOf(StreamConsumedError);
  });

  it('InvalidOption and SessionClosedError are RequestExceptions with stable codes', () => {
    const bad = caught(() => s.get(`${server.url}/`, { timeout: Number.NaN }));
    expect(bad).toBeInstanceOf(InvalidOption);
    expect(bad.code).toBe('NQ_ERR_INVALID_OPTION');
    const closed = new Session();
    closed.close();
    const e = caught(() => closed.get(`${server.url}/`));
    expect(e).toBeInstanceOf(SessionClosedError);
    expect(e).toBeInstanceOf(RequestException);
  });

  it('instanceof works across copies of the library (it goes by code)', () => {
    const foreign = Object.assign(Object.create(null), { [Symbol.for('nodequests.errorKinds')]: ['NQ_ERR_REQUEST', 'NQ_ERR_CONNECTION'] });
    expect(foreign instanceof ConnectionError).toBe(true);
    expect(foreign instanceof Timeout).toBe(false);
  });

  it('URL and proxy passwords are masked as user:*** in InvalidURL, SessionClosedError and InvalidOption messages', async () => {
    const bad = caught(() => s.get('http://alice:hunter2@/path'));
    expect(bad).toBeInstanceOf(InvalidURL);
    expect(bad.message).toContain('alice:***@');
    const closed = new Session();
    closed.close();
    const after = caught(() => closed.get('http://alice:hunter2@127.0.0.1/'));
    expect(after).toBeInstanceOf(SessionClosedError);
    expect(after.message).toContain('http://alice:***@127.0.0.1/');
    const proxy = caught(() => new Session({ proxies: { http: 'ftp://bob:s3cr%40t@proxy.test:21' } }));
    expect(proxy).toBeInstanceOf(InvalidOption);
    expect(proxy.message).toContain('ftp://bob:***@proxy.test:21');
    // An unencoded @ in the password: the userinfo runs to the last @ of the authority.
    const raw = caught(() => new Session({ proxies: { http: 'ftp://bob:p@ss@proxy.test' } }));
    expect(raw.message).toContain('ftp://bob:***@proxy.test');
    for (const e of [bad, after, proxy, raw]) expect(e.message).not.toMatch(/hunter2|s3cr|p@ss|ss@/);
  });
});

describe('codes that cross the channel', () => {
  it('every code a worker can send becomes the error class that carries it', async () => {
    const { TransportCode } = await import('../dist/src/channel/error-codes.js');
    const { errorFromCode } = await import('../dist/src/errors.js');
    for (const code of Object.values(TransportCode)) {
      const err = errorFromCode(code, 'from a worker');
      expect(err, code).toBeInstanceOf(RequestException);
      expect(err.code, code).toBe(code);
    }
  });
});
