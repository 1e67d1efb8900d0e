/**
 * The error classes a user catches: one list, exported by name from the package entry and
 * carried by its default export. The rest of errors.ts (code tables, helpers) stays inside.
 */
export {
  RequestException, ConnectionError, SSLError, ProxyError, Timeout, ConnectTimeout, ReadTimeout,
  TooManyRedirects, HTTPError, JSONDecodeError, InvalidURL, MissingSchema, InvalidSchema, InvalidHeader,
  ChunkedEncodingError, ContentDecodingError, BodyTooLarge, StreamConsumedError, RetryError,
  MultiplexingError, InvalidOption, InvalidMethod, RequestAborted, SessionClosedError, BrowserUnsupported,
  ProcessorError, ProcessorTimeout,
} from './errors.js';
