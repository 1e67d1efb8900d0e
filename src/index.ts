/**
 * nodequests: HTTP for Node.js with the manners of Requests, on a transport that runs in
 * worker threads.
 *
 * @example
 * ```ts
 * import nq, { Session, AsyncSession, get, aget } from 'nodequests';
 * const r = get('http://127.0.0.1:8080/json');
 * r.raiseForStatus();
 * console.log(r.json());
 * ```
 */
import * as api from './api.js';
import { codes } from './status-codes.js';

export {
  request, get, head, options, del, del as delete, post, put, patch,
  arequest, aget, ahead, aoptions, adelete, apost, aput, apatch,
} from './api.js';
export { Session } from './session/session.js';
export { AsyncSession } from './session/async-session.js';
export type { SessionOptions, RequestOptions, TimeoutInit, AuthInit, MaxBodySizeInit, CredentialsInit } from './session/options.js';
export type { HooksInit, Progress, EarlyResponse } from './session/hooks.js';
export type { RetryInit } from './session/retry.js';
export { CookieJar, type CookieInfo, type CookieOptions, type CookiesInit } from './cookies.js';
export { HTTPBasicAuth, HTTPDigestAuth, BearerTokenAuth, type AuthBase } from './auth.js';
export { codes, reasonPhrase } from './status-codes.js';
export type { ParamsInit } from './request/url.js';
export { Response } from './response/response.js';
export { AsyncResponse } from './response/async-response.js';
export { BaseResponse } from './response/base-response.js';
export { Headers, type HeadersInit } from './headers.js';
export type { PreparedRequest } from './request/prepared-request.js';
export * from './errors.js';
export { VERSION } from './version.js';

const nq = { ...api, delete: api.del, codes };
export default nq;
