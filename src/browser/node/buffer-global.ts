/** Injected by the browser build wherever the shared code names the global `Buffer`. */
export { Buffer } from './buffer.js';
