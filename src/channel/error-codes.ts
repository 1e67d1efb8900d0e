/**
 * The error codes a worker puts in a RESPONSE_ERROR frame. Only a code and a message cross
 * the channel; the main thread builds the typed error for the code (`errorFromCode` in
 * errors.ts, where each class carries its code). A code missing there would arrive as a
 * plain ConnectionError, which a test guards against.
 */
export const TransportCode = Object.freeze({
  CONNECTION: 'NQ_ERR_CONNECTION',
  SSL: 'NQ_ERR_SSL',
  PROXY: 'NQ_ERR_PROXY',
  TIMEOUT: 'NQ_ERR_TIMEOUT',
  CONNECT_TIMEOUT: 'NQ_ERR_CONNECT_TIMEOUT',
  READ_TIMEOUT: 'NQ_ERR_READ_TIMEOUT',
  INVALID_URL: 'NQ_ERR_INVALID_URL',
  INVALID_HEADER: 'NQ_ERR_INVALID_HEADER',
  INVALID_OPTION: 'NQ_ERR_INVALID_OPTION',
  CHUNKED_ENCODING: 'NQ_ERR_CHUNKED_ENCODING',
  CONTENT_DECODING: 'NQ_ERR_CONTENT_DECODING',
  BODY_TOO_LARGE: 'NQ_ERR_BODY_TOO_LARGE',
  PROCESSOR: 'NQ_ERR_PROCESSOR',
  PROCESSOR_TIMEOUT: 'NQ_ERR_PROCESSOR_TIMEOUT',
} as const);

export type TransportCode = (typeof TransportCode)[keyof typeof TransportCode];
