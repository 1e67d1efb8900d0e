/**
 * Hooks: functions called at fixed points of a request's life. A hook that returns a value
 * replaces the object it was given (a prepared request, or a response); one that returns
 * nothing leaves it as it was. Session hooks run before request hooks.
 *
 * @example
 * ```ts
 * const s = new Session({ hooks: { response: (r) => { console.log(r.statusCode); } } });
 * s.get(url, { hooks: { preSend: (req) => { req.headers.set('X-Trace', id); } } });
 * ```
 */
import { InvalidOption, describe } from '../errors.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import type { AsyncResponse } from '../response/async-response.js';
import type { Response } from '../response/response.js';

/** Progress of an upload or a download. `total` is null when the length is not known. */
export interface Progress {
  bytes: number;
  total: number | null;
  done: boolean;
}

/** An informational (1xx) response such as 103 Early Hints. */
export interface EarlyResponse {
  statusCode: number;
  headers: import('../headers.js').Headers;
}

type OneOrMany<F> = F | readonly F[];

export interface HooksInit {
  /** After preparation, before anything is sent (once per call). */
  preRequest?: OneOrMany<(request: PreparedRequest) => PreparedRequest | void>;
  /** Before each send: the first, and each redirect or retry. */
  preSend?: OneOrMany<(request: PreparedRequest) => PreparedRequest | void>;
  /** As the request body is handed to the socket. */
  onUpload?: OneOrMany<(progress: Progress, request: PreparedRequest) => void>;
  /** For each informational (1xx) response received before the final one. */
  earlyResponse?: OneOrMany<(response: EarlyResponse) => void>;
  /** As the response body arrives. */
  onDownload?: OneOrMany<(progress: Progress, request: PreparedRequest) => void>;
  /**
   * With the final response: a `Response`, or an `AsyncResponse` for an async request with
   * `stream: true` (tell them apart with `instanceof`). Returning a response replaces it.
   */
  response?: OneOrMany<(response: Response | AsyncResponse) => Response | AsyncResponse | void>;
  /**
   * The app called in process (the session's `app` option) threw or rejected: the request
   * gets a 500 with the error's message, and this hook the error (from a module app run in
   * a worker, an Error rebuilt with the original's name, message and stack).
   */
  appError?: OneOrMany<(error: unknown, request: PreparedRequest) => void>;
}

export type HookName = keyof HooksInit;
const NAMES: Record<HookName, true> = { preRequest: true, preSend: true, onUpload: true, earlyResponse: true, onDownload: true, response: true, appError: true };

/** Hooks by name, each a list; session and request hooks concatenated. */
export type Hooks = { [K in HookName]: Array<Extract<NonNullable<HooksInit[K]>, (...a: never[]) => unknown>> };

export function emptyHooks(): Hooks {
  return { preRequest: [], preSend: [], onUpload: [], earlyResponse: [], onDownload: [], response: [], appError: [] };
}

export function normalizeHooks(init: HooksInit | null | undefined, option = 'hooks'): Hooks {
  const hooks = emptyHooks();
  if (init === null || init === undefined) return hooks;
  if (typeof init !== 'object') throw new InvalidOption(`Invalid option ${option}: ${describe(init)}; expected an object of hook lists`);
  for (const [name, value] of Object.entries(init)) {
    if (!NAMES[name as HookName]) throw new InvalidOption(`Unknown hook ${JSON.stringify(name)} in ${option}; known: ${Object.keys(NAMES).join(', ')}`);
    const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
    for (const fn of list) {
      if (typeof fn !== 'function') throw new InvalidOption(`Invalid hook ${option}.${name}: ${describe(fn)}; expected a function`);
      (hooks[name as HookName] as unknown[]).push(fn);
    }
  }
  return hooks;
}

export function mergeHooks(a: Hooks, b: Hooks): Hooks {
  const out = emptyHooks();
  for (const k of Object.keys(out) as HookName[]) (out[k] as unknown[]) = [...a[k], ...b[k]];
  return out;
}

/** Runs replace-style hooks in order: each gets what the previous returned. */
export function runReplacing<T>(list: ReadonlyArray<(value: T) => T | void>, value: T): T {
  for (const fn of list) {
    const out = fn(value);
    if (out !== undefined && out !== null) value = out;
  }
  return value;
}
