/** The part of a session's settings its pools in the workers are opened with. */
import type { TransportSessionConfig } from '../channel/session-config.js';
import type { NormalizedSessionOptions } from './options.js';

export function transportConfigOf(settings: NormalizedSessionOptions): TransportSessionConfig {
  return {
    poolMaxsize: settings.poolMaxsize,
    poolConnections: settings.poolConnections,
    keepAliveTimeout: settings.keepaliveDelay,
    tls: settings.tls,
    http1: settings.http1,
    http2: settings.http2,
    http3: settings.http3,
    http3Origins: settings.http3Origins,
    multiplexed: settings.multiplexed,
    resolver: settings.resolver,
    happyEyeballs: settings.happyEyeballs,
    ipv4: settings.ipv4,
    ipv6: settings.ipv6,
    app: settings.app?.kind === 'module' ? settings.app.specifier : null,
  };
}
