/**
 * The one place where transport failures (undici's errors, Node's socket and TLS errors)
 * become nodequests error codes. Only the code and a message cross the channel; the main
 * thread builds the typed error (errors.ts `errorFromCode`).
 */
import http from 'node:http';
import { TransportCode } from '../channel/error-codes.js';

export interface TransportFailure {
  code: TransportCode;
  message: string;
}

/** Failures the transport raises itself carry their code already. */
export class TransportError extends Error {
  constructor(readonly nqCode: TransportCode, message: string) {
    super(message);
  }
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/**
 * Classifies an error from undici or the socket under it. `bodyStarted` tells a connection
 * that broke mid-body (the body is cut short: ChunkedEncodingError) from one that broke
 * before any response (ConnectionError).
 */
export function classify(err: unknown, target: string, bodyStarted: boolean, proxy: string | null = null): TransportFailure {
  if (err instanceof TransportError) return { code: err.nqCode, message: err.message };
  const failure = classifyDirect(err, target, bodyStarted);
  // Through a proxy, what fails before a response is the proxy's doing (or its report of
  // the target's): either way the user must look at the proxy.
  // undici's ProxyAgent turns a forward proxy's 407 into an invalid-argument error.
  const refused = failure.code === TransportCode.INVALID_OPTION && failure.message.includes('(407)');
  if (proxy !== null && !bodyStarted && (failure.code === TransportCode.CONNECTION || failure.code === TransportCode.CONNECT_TIMEOUT || refused)) {
    if (refused) return { code: TransportCode.PROXY, message: `Proxy ${proxy} failed for ${target}: ${failure.message}` };
    // The socket error is the proxy's (a refused or silent proxy): it is the one to name.
    return { code: TransportCode.PROXY, message: `${classifyDirect(err, `proxy ${proxy}`, bodyStarted).message} (requesting ${target})` };
  }
  return failure;
}

function classifyDirect(err: unknown, target: string, bodyStarted: boolean): TransportFailure {
  const e = (err ?? {}) as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? '';
  const causeCode = e.cause?.code ?? '';
  const detail = e.message || String(err);

  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { code: TransportCode.CONNECT_TIMEOUT, message: `Connection to ${target} timed out (${detail})` };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { code: TransportCode.READ_TIMEOUT, message: `Read timed out waiting for the response head from ${target}` };
    case 'UND_ERR_BODY_TIMEOUT':
      return { code: TransportCode.READ_TIMEOUT, message: `Read timed out: no body bytes from ${target} within the read timeout` };
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      // Before any head it is the head that is bad (undici checks conflicting
      // Content-Length fields there); after it, the body was cut short.
      return bodyStarted
        ? { code: TransportCode.CHUNKED_ENCODING, message: `Response body from ${target} ended early: ${detail}` }
        : { code: TransportCode.INVALID_HEADER, message: `Malformed Content-Length from ${target}: ${detail}` };
    case 'UND_ERR_INVALID_ARG':
      return { code: TransportCode.INVALID_OPTION, message: detail };
    case 'UND_ERR_HEADERS_OVERFLOW':
      // undici stops reading a head past Node's http.maxHeaderSize, however long the peer goes on.
      return { code: TransportCode.INVALID_HEADER, message: `Response head from ${target} is larger than ${http.maxHeaderSize} bytes (http.maxHeaderSize); refused (${detail})` };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_HEADER_OVERFLOW':
      return { code: TransportCode.INVALID_HEADER, message: `Malformed response header from ${target}: ${detail}` };
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_INVALID_EOF_STATE':
    case 'HPE_STRICT':
      return { code: TransportCode.CHUNKED_ENCODING, message: `Broken chunked body from ${target}: ${detail}` };
  }
  // undici's HTTPParserError carries no code for some parser failures (an invalid status line).
  if (code.startsWith('HPE_') || (e as { name?: string }).name === 'HTTPParserError') {
    if (/content-length/i.test(detail)) return { code: TransportCode.INVALID_HEADER, message: `Malformed response header from ${target}: ${detail}` };
    if (/chunk/i.test(detail)) return { code: TransportCode.CHUNKED_ENCODING, message: `Broken chunked body from ${target}: ${detail}` };
    return { code: TransportCode.CONNECTION, message: `Malformed response from ${target}: ${detail}` };
  }
  if (TLS_CODES.test(code) || TLS_CODES.test(causeCode)) {
    return { code: TransportCode.SSL, message: `TLS failed for ${target}: ${detail} (${code || causeCode})` };
  }
  if (code === 'ETIMEDOUT' || causeCode === 'ETIMEDOUT') {
    return { code: TransportCode.CONNECT_TIMEOUT, message: `Connection to ${target} timed out (${detail})` };
  }
  if (bodyStarted) {
    return { code: TransportCode.CHUNKED_ENCODING, message: `Connection to ${target} broke during the body: ${detail}` };
  }
  const named = code && !detail.includes(code) ? `${detail} (${code})` : detail;
  return { code: TransportCode.CONNECTION, message: `Failed to reach ${target}: ${named}` };
}
