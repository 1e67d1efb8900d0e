/**
 * The request as it will be sent: every user option has been normalised into this form on
 * the main thread, so the transport and everything after `prepare` can trust it.
 */
import { InvalidOption, describe } from '../errors.js';
import { Headers } from '../headers.js';

/** A body the transport streams: bytes whose total may be unknown (then sent chunked). */
export interface StreamedBody {
  readonly kind: 'stream';
  readonly source: AsyncIterable<Uint8Array>;
  /** Total length in bytes when known; `null` sends `Transfer-Encoding: chunked`. */
  readonly length: number | null;
  /** Whether the body can be produced again (for a 307/308 redirect or a retry). */
  readonly replayable: boolean;
}

export type RequestBody = null | Uint8Array | StreamedBody;

export interface PreparedRequest {
  method: string;
  /** Absolute URL without the fragment: what goes on the wire. */
  url: string;
  headers: Headers;
  body: RequestBody;
}

/**
 * A request handed back by user code (an auth's `apply`, a `preRequest` or `preSend` hook),
 * checked before anything relies on it: what comes back is the user's, like any input.
 */
export function requestFrom(value: unknown, from: string): PreparedRequest {
  const r = value as PreparedRequest | null;
  const body = r?.body as RequestBody | undefined;
  if (
    typeof r === 'object' && r !== null && typeof r.method === 'string' && typeof r.url === 'string' && r.headers instanceof Headers &&
    (body === null || body instanceof Uint8Array || (typeof body === 'object' && body?.kind === 'stream'))
  ) {
    return r;
  }
  throw new InvalidOption(`${from} returned ${describe(value)}; expected the request (or nothing, to keep it as it was)`);
}
