/** Proxies in the browser build: they are the browser's and the system's, so a proxy given is refused. */
import { BrowserUnsupported } from '../../errors.js';
import type { ProxiesInit } from '../../session/proxies.js';

export type { ProxiesInit };

export function normalizeProxies(init: ProxiesInit | null | undefined): Record<string, string | null> {
  for (const [key, value] of Object.entries(init ?? {})) {
    if (value !== null && key !== 'noProxy' && key !== 'no_proxy') {
      throw new BrowserUnsupported(`Cannot use the proxy ${String(value)}: in the browser, proxies are the browser's and the system's to choose`);
    }
  }
  return {};
}

export const proxiesFromEnv = (): Record<string, string | null> => ({});
export const selectProxy = (): string | null => null;
