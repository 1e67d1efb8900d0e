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
import { codes, reasonPhrase } from './status-codes.js';
import { Session } from './session/session.js';
import { AsyncSession } from './session/async-session.js';
import { CookieJar } from './cookies.js';
import { HTTPBasicAuth, HTTPDigestAuth, BearerTokenAuth } from './auth.js';
import { Response } from './response/response.js';
import { AsyncResponse } from './response/async-response.js';
import { BaseResponse } from './response/base-response.js';
import { Headers } from './headers.js';
import { ServerSentEvent } from './extensions/extension.js';
import * as publicErrors from './public-errors.js';
import { VERSION } from './version.js';

export {
  request, get, head, options, del, del as delete, post, put, patch,
  arequest, aget, ahead, aoptions, adelete, apost, aput, apatch,
} from './api.js';
export type { MapItem } from './session/async-session.js';
export { Session, AsyncSession, CookieJar, HTTPBasicAuth, HTTPDigestAuth, BearerTokenAuth, codes, reasonPhrase };
export { Response, AsyncResponse, BaseResponse, Headers, ServerSentEvent, VERSION };
export type { SessionOptions, RequestOptions, TimeoutInit, AuthInit, MaxBodySizeInit, MaxPayloadInit, CredentialsInit, MapOptions } from './session/options.js';
export type { HooksInit, Progress, EarlyResponse } from './session/hooks.js';
export type { RetryInit } from './session/retry.js';
export type { CookieInfo, CookieOptions, CookiesInit } from './cookies.js';
export type { AuthBase } from './auth.js';
export type { ParamsInit } from './request/url.js';
export type { HeadersInit } from './headers.js';
export type { ConnInfo } from './response/base-response.js';
export type {
  SyncExtension, AsyncExtension, SyncWebSocket, AsyncWebSocket,
  SyncServerSentEvents, AsyncServerSentEvents, NextPayloadOptions, WebSocketPayload, ExtensionUrl,
} from './extensions/extension.js';
export type { PreparedRequest } from './request/prepared-request.js';
export type { ErrorContext } from './errors.js';
export * from './public-errors.js';

/**
 * The whole API as one object, for the `requests.Session()` habit: `nq.get(url)`,
 * `new nq.Session()`, `err instanceof nq.HTTPError`.
 */
const nq = {
  ...api, delete: api.del,
  Session, AsyncSession, CookieJar, HTTPBasicAuth, HTTPDigestAuth, BearerTokenAuth, codes, reasonPhrase,
  Response, AsyncResponse, BaseResponse, Headers, ServerSentEvent, VERSION,
  ...publicErrors,
};
export default nq;
