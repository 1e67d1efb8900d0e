/** Name resolution in the browser build: the browser resolves names itself, so a resolver given is refused. */
import { BrowserUnsupported } from '../../errors.js';
import type { ResolverSpec } from '../../dns/resolver-spec.js';

export type { ResolverSpec };

const SYSTEM: ResolverSpec[] = [
  { protocol: 'system', name: 'system://', host: '', port: 0, path: '', json: false, method: 'POST', credentials: null, hosts: {}, only: [], timeout: 0, tls: null, sourceAddress: null },
];

/** The Node build's signature (its environment and `trustEnv` have nothing to say here). */
export function normalizeResolver(init: string | readonly string[] | null | undefined, _env?: unknown, _trustEnv?: boolean): ResolverSpec[] {
  if (init !== undefined && init !== null) throw new BrowserUnsupported('The resolver option cannot be used in the browser: the browser resolves names itself');
  return SYSTEM;
}
