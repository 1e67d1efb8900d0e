/**
 * Building a {@link PreparedRequest} from a method, a URL and normalised options, with the
 * session's settings underneath: the `prepare_*` steps of Requests, one concern each.
 */
import { Headers } from '../headers.js';
import { InvalidURL, InvalidSchema, MissingSchema } from '../errors.js';
import type { NormalizedRequestOptions, NormalizedSessionOptions } from '../session/options.js';
import { VERSION } from '../version.js';
import type { PreparedRequest, RequestBody } from './prepared-request.js';

export const DEFAULT_USER_AGENT = `nodequests/${VERSION}`;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SCHEMES = new Set(['http:', 'https:']);

export function prepareRequest(method: string, url: string | URL, opts: NormalizedRequestOptions, session: NormalizedSessionOptions): PreparedRequest {
  const m = prepareMethod(method);
  const headers = prepareHeaders(session.headers, opts.headers);
  const body = prepareBody(m, opts.data, headers);
  return { method: m, url: prepareUrl(url, session.baseUrl), headers, body };
}

function prepareMethod(method: string): string {
  if (typeof method !== 'string' || !METHOD.test(method)) throw new InvalidURL(`Invalid HTTP method ${JSON.stringify(method)}: expected a token such as GET`);
  return method.toUpperCase();
}

function prepareUrl(input: string | URL, baseUrl: string | null): string {
  let text = String(input).trim();
  if (baseUrl && !/^[a-z][a-z0-9+.-]*:/i.test(text)) text = baseUrl.replace(/\/+$/, '') + '/' + text.replace(/^\/+/, '');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new MissingSchema(`Invalid URL ${JSON.stringify(text)}: no scheme supplied. Perhaps you meant "http://${text}"?`);
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InvalidURL(`Invalid URL ${JSON.stringify(text)}: it cannot be parsed`);
  }
  if (!SCHEMES.has(u.protocol)) throw new InvalidSchema(`No connection adapter for URL ${JSON.stringify(text)}: scheme ${JSON.stringify(u.protocol.slice(0, -1))} is not supported`);
  if (!u.hostname || u.hostname === '*') throw new InvalidURL(`Invalid URL ${JSON.stringify(text)}: no host`);
  u.hash = '';
  return u.href;
}

function prepareHeaders(sessionHeaders: Headers, requestHeaders: NormalizedRequestOptions['headers']): Headers {
  const h = new Headers({ 'User-Agent': DEFAULT_USER_AGENT, Accept: '*/*' });
  h.update(sessionHeaders);
  if (requestHeaders) h.update(requestHeaders);
  return h;
}

function prepareBody(method: string, data: string | Uint8Array | null, headers: Headers): RequestBody {
  const body = data === null ? null : typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (!headers.has('content-length')) {
    if (body) headers.set('Content-Length', String(body.length));
    else if (method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'OPTIONS') headers.set('Content-Length', '0');
  }
  return body;
}
