/**
 * One-shot helpers: `get(url)` blocks, `aget(url)` awaits. Each call is on its own, as with
 * Requests' `requests.get`: cookies a response sets are kept for that call's redirects and
 * then forgotten, and no credentials outlive the call. Connections and workers are shared
 * (the default sessions keep them warm, on one transport worker). Nothing needs closing: the default sessions'
 * workers never keep the process alive while idle.
 *
 * @example
 * ```ts
 * import { get, aget } from 'nodequests';
 * console.log(get('http://127.0.0.1:8080/').statusCode);
 * console.log((await aget('http://127.0.0.1:8080/')).text);
 * ```
 */
import type { AsyncResponse } from './response/async-response.js';
import type { Response } from './response/response.js';
import { AsyncSession } from './session/async-session.js';
import type { RequestOptions } from './session/options.js';
import { Session } from './session/session.js';

let syncDefault: Session | null = null;
let asyncDefault: AsyncSession | null = null;

// With incoming cookies off, each call gets a jar of its own (a copy of the empty session
// jar) that its redirects share; the default sessions hold no credentials of their own.
// One transport worker: a script that makes a request and exits should not pay for
// starting (and loading the transport into) a thread per core, and one worker carries
// thousands of connections. Sessions made by the user keep their `workers` setting.
const ONE_SHOT = { allowIncomingCookies: false, workers: 1 } as const;

function syncSession(): Session {
  if (!syncDefault || syncDefault.closed) syncDefault = new Session(ONE_SHOT);
  return syncDefault;
}

function asyncSession(): AsyncSession {
  if (!asyncDefault || asyncDefault.closed) asyncDefault = new AsyncSession(ONE_SHOT);
  return asyncDefault;
}

export function request(method: string, url: string | URL, options?: RequestOptions): Response {
  return syncSession().request(method, url, options);
}
export const get = (url: string | URL, options?: RequestOptions): Response => request('GET', url, options);
export const head = (url: string | URL, options?: RequestOptions): Response => request('HEAD', url, options);
export const options = (url: string | URL, opts?: RequestOptions): Response => request('OPTIONS', url, opts);
export const del = (url: string | URL, options?: RequestOptions): Response => request('DELETE', url, options);
export const post = (url: string | URL, options?: RequestOptions): Response => request('POST', url, options);
export const put = (url: string | URL, options?: RequestOptions): Response => request('PUT', url, options);
export const patch = (url: string | URL, options?: RequestOptions): Response => request('PATCH', url, options);

export function arequest(method: string, url: string | URL, options: RequestOptions & { stream: true }): Promise<AsyncResponse>;
export function arequest(method: string, url: string | URL, options?: RequestOptions): Promise<Response>;
export function arequest(method: string, url: string | URL, options?: RequestOptions): Promise<Response | AsyncResponse> {
  return asyncSession().request(method, url, options);
}
export const aget = (url: string | URL, options?: RequestOptions): Promise<Response> => arequest('GET', url, options);
export const ahead = (url: string | URL, options?: RequestOptions): Promise<Response> => arequest('HEAD', url, options);
export const aoptions = (url: string | URL, opts?: RequestOptions): Promise<Response> => arequest('OPTIONS', url, opts);
export const adelete = (url: string | URL, options?: RequestOptions): Promise<Response> => arequest('DELETE', url, options);
export const apost = (url: string | URL, options?: RequestOptions): Promise<Response> => arequest('POST', url, options);
export const aput = (url: string | URL, options?: RequestOptions): Promise<Response> => arequest('PUT', url, options);
export const apatch = (url: string | URL, options?: RequestOptions): Promise<Response> => arequest('PATCH', url, options);
