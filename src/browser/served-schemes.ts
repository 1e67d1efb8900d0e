/** The schemes the browser carrier serves: fetch's, the native WebSocket's, and SSE over fetch. */
export const SERVED_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'ws:', 'wss:', 'sse:', 'psse:']);
export const SERVED_SCHEMES_TEXT = 'http, https, ws, wss, sse and psse in the browser';
