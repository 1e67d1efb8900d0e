/**
 * The request as it will be sent: every user option has been normalised into this form on
 * the main thread, so the transport and everything after `prepare` can trust it.
 */
import type { Headers } from '../headers.js';

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
