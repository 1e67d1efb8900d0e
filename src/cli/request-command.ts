/**
 * `nodequests [METHOD] URL [ITEM...]`: one request, in the manner of HTTPie (request items,
 * pretty output on a terminal, `--check-status`) with curl's flags (`-X -H -d -u -k -L -m -o
 * -i -I -v` and the long ones). Piped, stdout gets the body's bytes as they arrive; `-o` writes
 * them to a file the same way, so memory stays bounded whatever the size of the body.
 */
import { once } from 'node:events';
import { accessSync, constants, createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AsyncResponse } from '../response/async-response.js';
import { AsyncSession } from '../session/async-session.js';
import type { RequestOptions, SessionOptions } from '../session/options.js';
import { UsageError } from './usage-error.js';
import {
  BINARY_NOTE, formatHead, formatRequestHead, isJsonType, looksBinary, prettyJson, type Style,
} from './output.js';
import { parseItems } from './request-items.js';
import { opensExtension, printExtension } from './extension-output.js';

export const REQUEST_USAGE = 'nodequests [METHOD] URL [ITEM...] [OPTIONS]';

export const REQUEST_HELP = `${REQUEST_USAGE}

  METHOD      GET, POST, PUT... in any case; default GET, or POST when there is a body.
  URL         http(s)://host/path; the scheme defaults to http://, and :8080/x means localhost.
  ITEM        name=value      JSON string field (a form field with --form)
              name:=json      raw JSON field:  n:=42  tags:='["a","b"]'
              name==value     query parameter
              Name:value      request header
              field@path      file upload (the body becomes multipart/form-data)

request:
  -X, --request METHOD         the method
  -H, --header 'Name: value'   a header (repeatable)
  -d, --data DATA              form-encoded body, @file reads one (repeatable, joined with &)
      --data-binary DATA       body sent as given; @file streams a file
      --json DATA              JSON body, @file reads one; sets Content-Type and Accept
  -f, --form                   items as form fields (multipart when a file is attached)
  -u, --user USER:PASSWORD     Basic authentication

TLS and connection:
  -k, --insecure               do not verify the server's certificate
      --verify yes|no|PATH     verify (default), do not, or with this CA bundle (HTTPie)
      --cacert PATH            verify with the CA certificates in PATH (PEM)
  -E, --cert PATH              client certificate (PEM; with its key unless --key)
      --key PATH               the client certificate's private key (PEM)
  -x, --proxy URL              proxy: http://, https://, socks5://, socks5h://
      --http1.1                speak HTTP/1.1 only
      --http2                  speak HTTP/2 only (h2c with prior knowledge over http://)
      --resolver URL           name resolution (repeatable: tried in order): system://,
                               dou://HOST (DNS over UDP), dot://HOST (over TLS), doh://HOST
                               (over HTTPS), doh+cloudflare:// (also google, quad9, adguard,
                               opendns, nextdns, with dou/dot/doh),
                               in-memory://default/?hosts=name:ip,name:[v6], null://

redirects and time limits (seconds):
  -L, --location, --follow     follow redirects
      --max-redirs N           at most N redirects (default 30)
  -m, --max-time S             limit for the whole exchange
      --connect-timeout S      limit for connecting
      --timeout S              limit for each read (HTTPie)

output:
  -o, --output FILE            write the body to FILE, streamed
  -i, --include                print the response head before the body
  -I, --head                   HEAD request; print the response head only
  -v, --verbose                connection, request head and response head on stderr
      --pretty all|format|colors|none
                               format and colour output (default: all on a terminal, none piped)
      --check-status           exit 3 on an unfollowed 3xx, 4 on a 4xx, 5 on a 5xx

exit status: 0 ok, 1 error, 2 timeout, 3 too many redirects (or 3xx with --check-status),
4 a 4xx and 5 a 5xx with --check-status.`;

const OPTIONS = {
  request: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  data: { type: 'string', short: 'd', multiple: true },
  'data-binary': { type: 'string' },
  json: { type: 'string', multiple: true },
  form: { type: 'boolean', short: 'f' },
  user: { type: 'string', short: 'u' },
  insecure: { type: 'boolean', short: 'k' },
  verify: { type: 'string' },
  cacert: { type: 'string' },
  cert: { type: 'string', short: 'E' },
  key: { type: 'string' },
  proxy: { type: 'string', short: 'x' },
  'http1.1': { type: 'boolean' },
  http2: { type: 'boolean' },
  resolver: { type: 'string', multiple: true },
  location: { type: 'boolean', short: 'L' },
  follow: { type: 'boolean' },
  'max-redirs': { type: 'string' },
  'max-time': { type: 'string', short: 'm' },
  'connect-timeout': { type: 'string' },
  timeout: { type: 'string' },
  output: { type: 'string', short: 'o' },
  include: { type: 'boolean', short: 'i' },
  head: { type: 'boolean', short: 'I' },
  verbose: { type: 'boolean', short: 'v' },
  pretty: { type: 'string' },
  'check-status': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

// A word in METHOD's place is a method when it is a known one in any case, or all capitals.
const KNOWN_METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']);

export async function requestCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const flags = parsed.values;
  const words = parsed.positionals;
  let positionalMethod: string | undefined;
  if (words.length > 0 && /^[A-Za-z]+$/.test(words[0]!) && (KNOWN_METHODS.has(words[0]!.toLowerCase()) || /^[A-Z]+$/.test(words[0]!))) {
    positionalMethod = words.shift()!.toUpperCase();
  }
  const rawUrl = words.shift();
  if (rawUrl === undefined) throw new UsageError(`${positionalMethod ? `${positionalMethod} ` : ''}needs a URL: ${REQUEST_USAGE}`);
  const url = withScheme(rawUrl);
  const items = parseItems(words);

  const headers: Array<[string, string]> = [];
  for (const h of flags.header ?? []) {
    const at = h.indexOf(':');
    if (at <= 0) throw new UsageError(`-H takes 'Name: value', got ${JSON.stringify(h)}`);
    headers.push([h.slice(0, at).trim(), h.slice(at + 1).trim()]);
  }
  headers.push(...items.headers);
  const hasHeader = (name: string): boolean => headers.some(([n]) => n.toLowerCase() === name);

  const request: RequestOptions = { headers, stream: true, allowRedirects: Boolean(flags.location || flags.follow) };
  if (items.query.length > 0) request.params = items.query;
  const body = bodyOf(flags, items, hasHeader, headers);
  if (body) Object.assign(request, body);
  if (flags.user !== undefined) {
    const colon = flags.user.indexOf(':');
    if (colon < 0) throw new UsageError(`-u takes USER:PASSWORD, got ${JSON.stringify(flags.user)}`);
    request.auth = [flags.user.slice(0, colon), flags.user.slice(colon + 1)];
  }
  const extension = opensExtension(url);
  // A WebSocket or an event stream may stay quiet for as long as it likes: only the
  // handshake has a time limit unless one is given.
  const timeout = timeoutsOf(flags) ?? (extension ? { connect: 10_000, read: null } : null);
  if (timeout) request.timeout = timeout;

  const method = flags.head ? 'HEAD' : (flags.request?.toUpperCase() ?? positionalMethod ?? (body ? 'POST' : 'GET'));
  const style = styleOf(flags.pretty);
  const session = new AsyncSession(sessionOptions(flags));
  try {
    const r = await session.request(method, url, request as RequestOptions & { stream: true });
    if (extension) return await printExtension(r);
    return await show(r, flags, style);
  } finally {
    await session.close();
  }
}

function withScheme(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  // HTTPie's shorthand: ':8080/x' is localhost.
  return url.startsWith(':') ? `http://localhost${url}` : `http://${url}`;
}

/** The body options from -d, --data-binary, --json and the request items; null when none. */
function bodyOf(
  flags: Flags,
  items: ReturnType<typeof parseItems>,
  hasHeader: (name: string) => boolean,
  headers: Array<[string, string]>,
): Pick<RequestOptions, 'data' | 'json' | 'files'> | null {
  const sources = [
    flags.data && '-d/--data',
    flags['data-binary'] !== undefined && '--data-binary',
    flags.json && '--json',
    (items.fields.length > 0 || items.files.length > 0) && 'request items (name=value, field@file)',
  ].filter(Boolean);
  if (sources.length > 1) throw new UsageError(`the body is given twice (${sources.join(' and ')}); give it once`);
  if (flags.data) {
    // curl: @file is read with its line breaks removed; the parts are joined with '&'.
    const parts = flags.data.map((d) => (d.startsWith('@') ? readArg(d.slice(1), '-d').toString().replace(/[\r\n]/g, '') : d));
    if (!hasHeader('content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    return { data: parts.join('&') };
  }
  const binary = flags['data-binary'];
  if (binary !== undefined) {
    if (!hasHeader('content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    if (!binary.startsWith('@')) return { data: binary };
    checkReadable(binary.slice(1), '--data-binary');
    return { data: createReadStream(binary.slice(1)) };
  }
  if (flags.json) {
    const text = flags.json.map((j) => (j.startsWith('@') ? readArg(j.slice(1), '--json').toString() : j)).join('');
    if (!hasHeader('content-type')) headers.push(['Content-Type', 'application/json']);
    if (!hasHeader('accept')) headers.push(['Accept', 'application/json']);
    return { data: text };
  }
  if (items.files.length > 0 || (flags.form && items.fields.length > 0)) {
    const data = items.fields.map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
    if (items.files.length === 0) return { data };
    const files = items.files.map(([field, path]) => {
      checkReadable(path, `${field}@`);
      return [field, [basename(path), createReadStream(path)]] as const;
    });
    return { data, files };
  }
  if (items.fields.length > 0) {
    if (!hasHeader('accept')) headers.push(['Accept', 'application/json, */*;q=0.5']);
    return { json: Object.fromEntries(items.fields) };
  }
  return null;
}

/** Reads a file named on the command line. */
function readArg(path: string, flag: string): Buffer {
  checkReadable(path, flag);
  return readFileSync(path);
}

/** A file that will be streamed must be there before the request starts. */
function checkReadable(path: string, flag: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new UsageError(`${flag} names a file that cannot be read: ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code})`);
  }
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} takes a number of seconds greater than 0, got ${JSON.stringify(value)}`);
  }
  return n * 1000;
}

function timeoutsOf(flags: Flags): RequestOptions['timeout'] | null {
  const t: { connect?: number; read?: number; total?: number } = {};
  if (flags['connect-timeout'] !== undefined) t.connect = seconds('--connect-timeout', flags['connect-timeout']);
  if (flags.timeout !== undefined) t.read = seconds('--timeout', flags.timeout);
  if (flags['max-time'] !== undefined) t.total = seconds('-m/--max-time', flags['max-time']);
  return Object.keys(t).length > 0 ? t : null;
}

function sessionOptions(flags: Flags): SessionOptions {
  const o: SessionOptions = { workers: 1 };
  if (flags.insecure) o.verify = false;
  if (flags.verify !== undefined) o.verify = /^(no|false)$/i.test(flags.verify) ? false : /^(yes|true)$/i.test(flags.verify) ? true : flags.verify;
  if (flags.cacert !== undefined) o.verify = flags.cacert;
  if (flags.key !== undefined && flags.cert === undefined) throw new UsageError('--key needs --cert');
  if (flags.cert !== undefined) o.cert = flags.key === undefined ? flags.cert : [flags.cert, flags.key];
  if (flags.proxy !== undefined) o.proxies = { all: /^[a-z0-9+.-]+:\/\//i.test(flags.proxy) ? flags.proxy : `http://${flags.proxy}` };
  if (flags['http1.1'] && flags.http2) throw new UsageError('--http1.1 and --http2 exclude each other');
  if (flags['http1.1']) o.disableHttp2 = true;
  if (flags.http2) o.disableHttp1 = true;
  if (flags.resolver) o.resolver = flags.resolver.length === 1 ? flags.resolver[0]! : flags.resolver;
  const redirs = flags['max-redirs'];
  if (redirs !== undefined) {
    if (!/^\d+$/.test(redirs)) throw new UsageError(`--max-redirs takes a whole number >= 0, got ${JSON.stringify(redirs)}`);
    o.maxRedirects = Number(redirs);
  }
  return o;
}

function styleOf(pretty: string | undefined): Style {
  const tty = Boolean(process.stdout.isTTY);
  const colours = tty && !process.env.NO_COLOR;
  switch (pretty) {
    case undefined:
      return { format: tty, colors: colours };
    case 'all':
      return { format: true, colors: true };
    case 'format':
      return { format: true, colors: false };
    case 'colors':
      return { format: false, colors: true };
    case 'none':
      return { format: false, colors: false };
    default:
      throw new UsageError(`--pretty takes all, format, colors or none, got ${JSON.stringify(pretty)}`);
  }
}

async function write(out: NodeJS.WritableStream, chunk: string | Uint8Array): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** Prints (or saves) the response and returns the exit status. */
async function show(r: AsyncResponse, flags: Flags, style: Style): Promise<number> {
  const statusLine = { version: r.httpVersion, status: r.statusCode, reason: r.reason };
  if (flags.verbose) {
    const info = r.connInfo;
    let text = '';
    if (info) {
      text += `* Connected to ${info.destinationAddress} port ${info.destinationPort} (${info.httpVersion})\n`;
      if (info.tlsVersion) text += `* TLS ${info.tlsVersion}, ${info.cipher?.standardName ?? 'cipher unknown'}\n`;
      if (info.peerCertificate) text += `* Server certificate: ${info.peerCertificate.subjectAltName ?? JSON.stringify(info.peerCertificate.subject)}, valid to ${info.peerCertificate.validTo}\n`;
    }
    for (const hop of [...r.history, r]) {
      text += formatRequestHead(style, hop.request.method, hop.request.url, hop.request.headers.rawEntries());
      text += formatHead(style, { version: hop.httpVersion, status: hop.statusCode, reason: hop.reason }, hop.headers.rawEntries());
    }
    text += `* Response head after ${r.elapsed.toFixed(1)} ms\n`;
    process.stderr.write(text);
  }
  const showHead = flags.include || flags.head || (style.format && !flags.output);
  if (showHead) await write(process.stdout, formatHead(style, statusLine, r.headers.rawEntries()));
  if (!flags.head) await showBody(r, flags, style);
  else await r.close();
  return statusExit(r, flags);
}

async function showBody(r: AsyncResponse, flags: Flags, style: Style): Promise<void> {
  if (flags.output !== undefined) {
    const file = createWriteStream(flags.output);
    const failed = once(file, 'error').then(([err]) => {
      throw new UsageError(`-o cannot write ${JSON.stringify(flags.output)}: ${(err as Error).message}`);
    });
    await Promise.race([failed, (async () => {
      await once(file, 'open');
      for await (const chunk of r.iterContent(null)) await write(file, chunk);
      file.end();
      await once(file, 'finish');
    })()]);
    return;
  }
  if (!style.format) {
    for await (const chunk of r.iterContent(null)) await write(process.stdout, chunk);
    return;
  }
  // Formatted: a binary body is left unread; JSON is parsed whole and pretty-printed; other
  // text passes through as it comes.
  const chunks = r.iterContent(null);
  const first = await chunks.next();
  if (first.done) return;
  const firstChunk = first.value;
  if (looksBinary(firstChunk)) {
    await write(process.stdout, BINARY_NOTE);
    await r.close();
    return;
  }
  if (isJsonType(r.headers.get('content-type'))) {
    const parts = [firstChunk];
    for await (const chunk of chunks) parts.push(chunk);
    const text = Buffer.concat(parts).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      await write(process.stdout, text.endsWith('\n') ? text : `${text}\n`);
      return;
    }
    await write(process.stdout, `${prettyJson(style, value)}\n`);
    return;
  }
  await write(process.stdout, firstChunk);
  for await (const chunk of chunks) await write(process.stdout, chunk);
}

/** HTTPie's --check-status: 3 for a 3xx not followed, 4 for a 4xx, 5 for a 5xx. */
function statusExit(r: AsyncResponse, flags: Flags): number {
  if (!flags['check-status']) return 0;
  const status = r.statusCode;
  const code = status >= 500 ? 5 : status >= 400 ? 4 : status >= 300 && !(flags.location || flags.follow) ? 3 : 0;
  if (code !== 0) process.stderr.write(`nodequests: warning: HTTP ${status} ${r.reason}\n`);
  return code;
}
