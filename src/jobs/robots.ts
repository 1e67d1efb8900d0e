/**
 * A host's robots.txt, fetched once and read with robots-parser (Disallow, Allow with the
 * longest match winning, wildcards, Crawl-delay), as RFC 9309 says: a robots.txt that is not
 * there (4xx) allows everything; one the server failed to give (5xx, no answer) disallows
 * everything, since the host's wishes are unknown.
 */
import { createRequire } from 'node:module';
import type { AsyncSession } from '../session/async-session.js';

interface Robots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
// A CommonJS function export, which its typings declare as an ES default.
const robotsParser = createRequire(import.meta.url)('robots-parser') as (url: string, text: string) => Robots;

export interface HostRules {
  allowed(url: string): boolean;
  /** The host's Crawl-delay, ms; 0 when it sets none. */
  crawlDelayMs: number;
  /** How the rules were had: the status of robots.txt, or the error code. */
  source: string;
  /** The host answered (2xx or 4xx); if not, everything is disallowed. */
  answered: boolean;
}

export async function fetchRobots(session: AsyncSession, origin: string, userAgent: string, timeoutMs: number, signal: AbortSignal): Promise<HostRules> {
  const url = `${origin}/robots.txt`;
  let status: number;
  let text = '';
  try {
    const r = await session.get(url, { headers: { 'user-agent': userAgent }, timeout: timeoutMs, signal, maxBodySize: 512 * 1024 });
    status = r.statusCode;
    if (r.ok) text = r.text ?? '';
  } catch (err) {
    return { allowed: () => false, crawlDelayMs: 0, source: (err as { code?: string }).code ?? 'error', answered: false };
  }
  if (status >= 500) return { allowed: () => false, crawlDelayMs: 0, source: String(status), answered: false };
  if (status >= 400) return { allowed: () => true, crawlDelayMs: 0, source: String(status), answered: true };
  const robots = robotsParser(url, text);
  const delay = robots.getCrawlDelay(userAgent);
  return {
    // undefined: the URL is not on this host (never asked, the frontier groups by host).
    allowed: (u) => robots.isAllowed(u, userAgent) !== false,
    crawlDelayMs: typeof delay === 'number' && delay > 0 ? delay * 1000 : 0,
    source: String(status),
    answered: true,
  };
}
