/** The `app` option in the browser build: an app is called in process by the Node build only. */
import { BrowserUnsupported } from '../../errors.js';

export function appOf(_value: unknown): never {
  throw new BrowserUnsupported('The app option cannot be used in the browser: an app is called in process (or loaded by the transport workers) by the Node build only');
}
