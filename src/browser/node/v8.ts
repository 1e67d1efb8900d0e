/** `node:v8` in the browser build: processors run only in Node's transport workers, so no result is ever serialized here. */
import { BrowserUnsupported } from '../../errors.js';

export function deserialize(): never {
  throw new BrowserUnsupported('Processors run in the transport workers of Node.js: the browser build has no processor results');
}
