/**
 * Methods whose repetition has the same effect as one request (RFC 9110 §9.2.2): the retry
 * policy on the main thread and the worker's replays (a stream cut by GOAWAY, a reused
 * connection that died before answering) both send only these again on their own.
 */
export const IDEMPOTENT_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
