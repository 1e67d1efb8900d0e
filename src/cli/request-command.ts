/**
 * `nodequests get URL [-i]` and the other verbs: the status line, the headers with `-i`,
 * then the body, raw, on stdout. Like curl --fail: a 4xx/5xx exits 1.
 */
import { request } from '../api.js';
import { parseArgs, UsageError } from './args.js';
import { extensionCommand, opensExtension } from './extension-output.js';

export const REQUEST_USAGE = `nodequests get|head|post|put|patch|delete|options URL [-i] [-H 'Name: value']... [-d DATA] [--timeout MS]`;

export function requestCommand(method: string, argv: readonly string[]): number | Promise<number> {
  const args = parseArgs(argv, {
    include: { short: 'i' },
    header: { short: 'H', value: true, repeat: true },
    data: { short: 'd', value: true },
    timeout: { value: true },
  });
  const url = args.positionals[0];
  if (!url) throw new UsageError(`${method.toLowerCase()} needs a URL\n${REQUEST_USAGE}`);
  const headers: Array<[string, string]> = [];
  for (const h of (args.flags.header as string[] | undefined) ?? []) {
    const at = h.indexOf(':');
    if (at <= 0) throw new UsageError(`-H takes 'Name: value', got ${JSON.stringify(h)}`);
    headers.push([h.slice(0, at).trim(), h.slice(at + 1).trim()]);
  }
  const timeout = args.flags.timeout === undefined ? undefined : Number(args.flags.timeout);
  if (opensExtension(url)) return extensionCommand(method, url, { headers, data: args.flags.data as string | undefined, timeout });
  const r = request(method, url, { headers, data: args.flags.data as string | undefined, timeout });
  const head = `${r.httpVersion} ${r.statusCode} ${r.reason}`;
  if (args.flags.include) {
    const lines = [head, ...[...r.headers.rawEntries()].map(([k, v]) => `${k}: ${v}`)];
    process.stdout.write(`${lines.join('\r\n')}\r\n\r\n`);
  } else {
    process.stderr.write(`${head}\n`);
  }
  process.stdout.write(r.content);
  return r.ok ? 0 : 1;
}
