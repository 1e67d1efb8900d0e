/** Name resolution in the browser build: the browser resolves names itself, so a resolver given is refused. */
import { BrowserUnsupported } from '../../errors.js';
import type { ResolverSpec } from '../../dns/resolver-spec.js';

export type { ResolverSpec };

const SYSTEM: ResolverSpec[] = [{ protocol: 'system', hosts: {}, timeout: 0 }];

export function normalizeResolver(init: string | readonly string[] | null | undefined): ResolverSpec[] {
  if (init !== undefined && init !== null) throw new BrowserUnsupported('The resolver option cannot be used in the browser: the browser resolves names itself');
  return SYSTEM;
}
