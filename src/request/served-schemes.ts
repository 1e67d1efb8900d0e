/**
 * The URL schemes this build's carrier serves (URL protocols, with the colon); the others
 * parse but are refused when a request is prepared. The browser build serves WebSocket and
 * SSE schemes too, and swaps this module for its own.
 */
export const SERVED_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'http+unix:']);
export const SERVED_SCHEMES_TEXT = 'http, https and http+unix';
