/**
 * The command's exit status for an error, as HTTPie's: 2 a timeout, 3 too many redirects,
 * 1 anything else (a usage error included).
 */
import { ConnectTimeout, Timeout, TooManyRedirects } from '../errors.js';

export function exitCodeOf(err: unknown): number {
  if (err instanceof Timeout || err instanceof ConnectTimeout) return 2;
  if (err instanceof TooManyRedirects) return 3;
  return 1;
}
