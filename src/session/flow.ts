/**
 * The policy of one call, from prepared request to final response: cookies, auth
 * challenges, redirects, retries and hooks. Requests' `Session.send` and
 * `resolve_redirects`, written once as a generator so that the sync and async sessions
 * share every rule and differ only in how they wait.
 *
 * The generator never waits itself. It starts exchanges through its host and yields an
 * {@link Effect} saying what it needs next (a head, a whole body, a pause); a
 * {@link FlowRunner} resumes it when that is there, by blocking or by awaiting.
 */
import type { AuthBase } from '../auth.js';
import { HeadFlag } from '../channel/frames.js';
import { CookieJar } from '../cookies.js';
import type { Headers } from '../headers.js';
import type { Exchange } from '../engine/exchange.js';
import { RetryError, StreamConsumedError, Timeout, TooManyRedirects, errorFromCode, type RequestException } from '../errors.js';
import { prepareUrl, wireUrl } from '../request/url.js';
import { requestFrom, type PreparedRequest } from '../request/prepared-request.js';
import { fieldFromBlock, headersFromBlock, type BaseResponse, type ResponseState } from '../response/base-response.js';
import type { AnyResponse } from './async-session.js';
import type { BodySource } from '../response/body-source.js';
import { runReplacing, type Hooks } from './hooks.js';
import type { NormalizedRequestOptions } from './options.js';
import { isRedirect, redirectRequest, redirectTarget } from './redirects.js';
import { RetryState, type RetryPolicy } from './retry.js';
import type { AltSvcCache } from './alt-svc.js';
import { abortedError } from './signal.js';

/** A request in flight, with what its response will need. */
export interface InFlight {
  exchange: Exchange;
  source: BodySource;
  request: PreparedRequest;
}

/** What a flow waits for. */
export type Effect =
  | { kind: 'head'; exchange: Exchange }
  | { kind: 'body'; exchange: Exchange }
  | { kind: 'sleep'; until: number };

/** Everything a call needs, session and request settings merged (see BaseSession). */
export interface CallSettings {
  /** The target with its fragment (the wire URL drops it; redirects carry it). */
  url: URL;
  options: NormalizedRequestOptions;
  hooks: Hooks;
  retry: RetryPolicy;
  maxRedirects: number;
  allowRedirects: boolean;
  /** The jar cookies are sent from and stored in during this call. */
  jar: CookieJar;
  /** The session's jar, when this call's incoming cookies go there too. */
  sessionJar: CookieJar | null;
  auth: AuthBase | null;
  /** Where this session remembers the alternative services origins announce. */
  altSvc: AltSvcCache;
  /** Headers dropped with Authorization on a redirect to another origin (lower case). */
  sensitiveHeaders: readonly string[];
  /** The user gave a Cookie header: it wins over the jar on the first request. */
  userCookie: boolean;
  /** Credentials for a redirect's new host when the old ones were dropped (.netrc under trustEnv). */
  rebuildAuth: (url: URL, request: PreparedRequest) => PreparedRequest;
  /** `timeout.total`, ms, for the whole call: every hop, retry and pause (0: none). */
  totalTimeout: number;
  /** The call opens a WebSocket: a redirect leads to another WebSocket. */
  websocket: boolean;
}

/**
 * Which responses to a request the flow will pass over to send another request: their
 * bodies are only drained, up to a small limit (the transport's HOP_BODY_LIMIT).
 */
export interface HopExpectations {
  /** A redirect with a Location is followed. */
  redirect: boolean;
  /** A 401 is answered (a challenge-answering scheme has not answered yet). */
  challenge: boolean;
}

/** What a flow asks of its session. */
export interface FlowHost {
  /** Sends a prepared request; returns at once with it in flight. `totalLeft`: ms of the call's total timeout left (0: none). */
  send(request: PreparedRequest, totalLeft: number, hops: HopExpectations): InFlight;
  /** Wraps a state in the response class this session hands out. */
  respond(state: ResponseState, final: boolean): AnyResponse;
}

export function* requestFlow(call: CallSettings, prepared: PreparedRequest, host: FlowHost): Generator<Effect, BaseResponse, void> {
  const { hooks, options } = call;
  let request = requestFrom(runReplacing(hooks.preRequest, prepared), 'A preRequest hook');
  let url = call.url;
  const history: BaseResponse[] = [];
  const retry = new RetryState(call.retry);
  let challenged = false;
  const deadline = call.totalTimeout > 0 ? performance.now() + call.totalTimeout : 0;
  /** A pause until `until`, unless the call's total timeout ends first. */
  const sleep = (until: number): Effect => {
    if (deadline && until >= deadline) throw overTime(call, request);
    return { kind: 'sleep', until };
  };

  for (;;) {
    request = requestFrom(runReplacing(hooks.preSend, request), 'A preSend hook');
    // A hook may have pointed the request elsewhere: responses and redirects start from
    // there, and what goes to the transport is the URL as the checked parser serializes it.
    if (request.url !== wireUrl(url)) {
      url = prepareUrl(request.url);
      request = { ...request, url: wireUrl(url) };
    }
    // A hook may have aborted the call: nothing more goes out.
    if (options.signal?.aborted) throw abortedError(options.signal.reason);
    const left = deadline ? deadline - performance.now() : 0;
    if (deadline && left <= 0) throw overTime(call, request);
    const flight = host.send(request, left, { redirect: call.allowRedirects, challenge: !challenged && call.auth?.challengeResponse !== undefined });
    watchProgress(flight, hooks);
    yield { kind: 'head', exchange: flight.exchange };
    const ex = flight.exchange;

    if (ex.head === null) {
      const error = ex.error!;
      if (canResend(request) && retry.retriesError(error, request.method)) {
        if (!retry.exhausted) {
          yield sleep(performance.now() + retry.next(undefined));
          continue;
        }
        if (retry.policy.total > 0) throw failedEveryAttempt(error, request, retry);
      }
      throw error;
    }

    if (ex.appError !== null) for (const hook of hooks.appError) hook(ex.appError, request);
    const status = ex.head.status;
    // Parsed only when something here needs it: the worker flags the fields that matter,
    // and most responses are a plain 2xx without cookies.
    // The URL keeps its fragment for the user (it never goes on the wire), as Requests' does.
    const state: ResponseState = { source: flight.source, url: ex.finalUrl ?? url.href, request, history: [...history], cookies: null, headers: null, processed: call.options.processor !== null };
    const headers = (): Headers => (state.headers ??= headersFromBlock(ex.head!.headerBlock));
    if (ex.head.flags & HeadFlag.SET_COOKIE) {
      const setCookies = headers().getSetCookie();
      state.cookies = new CookieJar();
      state.cookies.setFromResponse(setCookies, request.url);
      call.jar.setFromResponse(setCookies, request.url);
      if (call.sessionJar && call.sessionJar !== call.jar) call.sessionJar.setFromResponse(setCookies, request.url);
    }
    if (ex.head.flags & HeadFlag.ALT_SVC) {
      const field = state.headers !== null ? state.headers.get('alt-svc') : fieldFromBlock(ex.head.headerBlock, 'alt-svc');
      if (field !== undefined) call.altSvc.remember(request.url, field);
    }

    // A Digest (or other challenge-answering) scheme gets one chance to answer a 401.
    if (status === 401 && !challenged && call.auth?.challengeResponse) {
      const answer = call.auth.challengeResponse({ method: request.method, url: request.url }, headers().get('www-authenticate') ?? '');
      if (answer !== null) {
        if (!canResend(request)) {
          throw new StreamConsumedError(
            `Cannot answer the 401 authentication challenge from ${request.url}: it must resend the request body, which was a one-shot stream. Pass bytes, a string or a Blob to allow it.`,
            { request },
          );
        }
        challenged = true;
        flight.source.unwindow();
        yield { kind: 'body', exchange: ex };
        // The challenge is part of the story, as in Requests: r.history shows the 401.
        history.push(host.respond(state, false));
        request = withHeader(request, 'Authorization', answer);
        // A cookie the challenge set goes back with the answer (unless the user set Cookie).
        if (!call.userCookie) {
          request.headers.delete('cookie');
          request = withCookies(request, call.jar);
        }
        continue;
      }
    }

    if (canResend(request) && retry.retriesStatus(status, request.method)) {
      const response = host.respond(state, false);
      if (retry.exhausted) {
        if (retry.policy.total > 0) throw exhausted(request, retry, response);
      } else {
        flight.source.close();
        yield sleep(performance.now() + retry.next(headers().get('retry-after')));
        continue;
      }
    }

    if (call.allowRedirects && isRedirect(status) && headers().has('location')) {
      flight.source.unwindow();
      yield { kind: 'body', exchange: ex };
      const hop = host.respond(state, false);
      history.push(hop);
      if (history.length > call.maxRedirects) {
        throw new TooManyRedirects(`Exceeded ${call.maxRedirects} redirects; the last was ${status} from ${request.url}`, { request, response: hop });
      }
      const next = redirectTarget(url, headers().get('location')!, call.websocket);
      request = withCookies(redirectRequest(request, status, url, next, wireUrl(next), call.sensitiveHeaders), call.jar);
      // Credentials dropped for a new host may be replaced by that host's own (.netrc), as in
      // Requests' rebuild_auth.
      if (!request.headers.has('authorization')) request = call.rebuildAuth(next, request);
      url = next;
      continue;
    }

    if (!options.stream) yield { kind: 'body', exchange: ex };
    if (ex.error && !options.stream) throw ex.error;
    return runReplacing(hooks.response, host.respond(state, true));
  }
}

/**
 * Adds the jar's Cookie header for the request's URL. A Cookie header the user gave wins, as
 * in Requests; a redirect hop has had it removed, so there the jar speaks alone.
 */
export function withCookies(request: PreparedRequest, jar: CookieJar): PreparedRequest {
  if (jar.empty || request.headers.has('cookie')) return request;
  const header = jar.cookieHeaderFor(request.url);
  if (header) request.headers.set('Cookie', header);
  return request;
}

/** Whether the request can go again (a retry, a challenge): its body is bytes or replayable. */
function canResend(request: PreparedRequest): boolean {
  const body = request.body;
  return body === null || body instanceof Uint8Array || body.replayable;
}

function withHeader(request: PreparedRequest, name: string, value: string): PreparedRequest {
  const headers = request.headers.copy();
  headers.set(name, value);
  return { ...request, headers };
}

function overTime(call: CallSettings, request: PreparedRequest): Timeout {
  return new Timeout(`Request to ${request.url} exceeded its total timeout of ${call.totalTimeout} ms (redirects, retries and their pauses included)`, { request });
}

function exhausted(request: PreparedRequest, retry: RetryState, response: BaseResponse): RetryError {
  return new RetryError(`Max retries (${retry.policy.total}) exceeded with url: ${request.url} (caused by too many ${response.statusCode} responses)`, {
    request,
    response,
    attempts: retry.attempts + 1,
  });
}

/**
 * The last attempt's failure, of the same class, once retries have run out: a caller that
 * catches `ConnectionError` or `ReadTimeout` keeps catching it when retries are turned on
 * (Requests raises ConnectionError, not its MaxRetryError, in that case).
 */
function failedEveryAttempt(last: RequestException, request: PreparedRequest, retry: RetryState): RequestException {
  const attempts = retry.attempts + 1;
  return errorFromCode(last.code, `${last.message} (${attempts} attempts: max retries (${retry.policy.total}) exceeded with url: ${request.url})`, { request, cause: last, attempts });
}

/** Wires the progress hooks to the exchange, when there are any. */
function watchProgress(flight: InFlight, hooks: Hooks): void {
  const { onUpload, onDownload, earlyResponse } = hooks;
  if (onUpload.length + onDownload.length + earlyResponse.length === 0) return;
  const request = flight.request;
  const body = request.body;
  const uploadTotal = body === null ? 0 : body instanceof Uint8Array ? body.length : body.length;
  let downloadTotal: number | null | undefined;
  let uploadDone = false;
  flight.exchange.onEvent = (event, bytes) => {
    switch (event) {
      case 'upload': {
        if (uploadDone) break;
        // A response means the body is all sent (or no longer wanted): that is the end for
        // a body of unknown length.
        uploadDone = flight.exchange.head !== null || (uploadTotal !== null && bytes >= uploadTotal);
        for (const h of onUpload) h({ bytes, total: uploadTotal, done: uploadDone }, request);
        break;
      }
      case 'download': {
        const ex = flight.exchange;
        if (downloadTotal === undefined) {
          // Progress counts decoded bytes; a Content-Length of an encoded body is another unit.
          const h = headersFromBlock(ex.head!.headerBlock);
          const length = h.has('content-encoding') ? NaN : Number(h.get('content-length') ?? NaN);
          downloadTotal = Number.isNaN(length) ? null : length;
        }
        for (const h of onDownload) h({ bytes, total: downloadTotal, done: ex.ended }, request);
        break;
      }
      case 'informational': {
        const info = flight.exchange.informational.at(-1)!;
        for (const h of earlyResponse) h({ statusCode: info.status, headers: headersFromBlock(info.headerBlock) });
        break;
      }
    }
  };
}
