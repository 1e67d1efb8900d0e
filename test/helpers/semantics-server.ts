import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { AsyncSession, Session, type RequestOptions, type Response, type SessionOptions } from '../../dist/src/index.js';

/** The two servers of test/fixtures/semantics-server.mjs, running in a child process. */
export interface SemanticsServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** The other server on the same host: http://127.0.0.1:<otherPort> (another port). */
  otherPort: string;
  /** The other server under another host name: http://localhost:<otherPort>. */
  otherHost: string;
  port: number;
  /** https://127.0.0.1:<tlsPort> when started with TLS files, else null. */
  tls: string | null;
  /** How many times a counted route (flaky, reset, slow-once, digest) saw this id. */
  count(id: string): Promise<number>;
  /** The pauses (ms) between consecutive hits of this id, as the server saw them arrive. */
  gaps(id: string): Promise<number[]>;
  close(): Promise<void>;
}

/** What /anything (and most routes) answer with. */
export interface Echo {
  server: 'main' | 'other';
  method: string;
  url: string;
  path: string;
  args: Record<string, string[]>;
  headers: Record<string, string | undefined>;
  rawHeaders: string[];
  body: string | null;
  bodyLength: number;
  sha256: string;
  chunked: boolean;
  attempt?: number;
}

/** Starts the servers; with `tls` (PEM file paths) an https one too. */
export async function startSemanticsServer(tls?: { certPath: string; keyPath: string }): Promise<SemanticsServer> {
  const env = tls ? { ...process.env, SEM_TLS_CERT: tls.certPath, SEM_TLS_KEY: tls.keyPath } : process.env;
  const child = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/semantics-server.mjs', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env,
  });
  let line = '';
  while (!line.includes('\n')) line += ((await once(child.stdout!, 'data')) as [Buffer])[0].toString();
  const { port, otherPort, tlsPort } = JSON.parse(line) as { port: number; otherPort: number; tlsPort: number };
  const base = `http://127.0.0.1:${port}`;
  // fetch from this thread: the server is in another process, so this never deadlocks.
  const counted = async (id: string) => (await (await fetch(`${base}/count?id=${encodeURIComponent(id)}`)).json()) as { count: number; gaps: number[] };
  return {
    base,
    otherPort: `http://127.0.0.1:${otherPort}`,
    otherHost: `http://localhost:${otherPort}`,
    port,
    tls: tlsPort ? `https://127.0.0.1:${tlsPort}` : null,
    async count(id) {
      return (await counted(id)).count;
    },
    async gaps(id) {
      return (await counted(id)).gaps;
    },
    async close() {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

export type Kind = 'sync' | 'async';

/**
 * One face over both APIs, so that a test can run against `Session` and `AsyncSession`:
 * the sync calls block inside an async function, and their errors become rejections.
 */
export interface Client {
  kind: Kind;
  session: Session | AsyncSession;
  request(method: string, url: string, opts?: RequestOptions): Promise<Response>;
  get(url: string, opts?: RequestOptions): Promise<Response>;
  post(url: string, opts?: RequestOptions): Promise<Response>;
  close(): Promise<void>;
}

export function makeClient(kind: Kind, opts?: SessionOptions): Client {
  const session = kind === 'sync' ? new Session(opts) : new AsyncSession(opts);
  const request = async (method: string, url: string, o?: RequestOptions): Promise<Response> =>
    session instanceof Session ? session.request(method, url, o) : session.request(method, url, o);
  return {
    kind,
    session,
    request,
    get: (url, o) => request('GET', url, o),
    post: (url, o) => request('POST', url, o),
    close: async () => {
      await session.close();
    },
  };
}

/** Runs `fn` with a client of `kind`, closing it afterwards. */
export async function withClient<T>(kind: Kind, opts: SessionOptions | undefined, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = makeClient(kind, opts);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** A rejection's error, or a failure if the promise resolved. */
export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, any>;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export const echoOf = (r: Response): Echo => r.json() as Echo;

/** A unique id for counted routes. */
let seq = 0;
export const uid = (label: string): string => `${label}-${process.pid}-${Date.now()}-${++seq}`;
