/**
 * `nodequests load URL`: a load generator run by the transport workers (src/jobs/load.ts),
 * with a live line per second on stderr and a summary (or `--json`) on stdout. Exits 1 when
 * any request failed (no response: refused, reset, timed out), 0 otherwise.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { LoadInterval, LoadResult } from '../jobs/load.js';
import { UsageError } from './usage-error.js';
import { headerFlags, httpUrl, numberFlag, wholeFlag } from './job-flags.js';
import { formatBytes } from './format-bytes.js';

export const LOAD_USAGE = `nodequests load URL [-c N] [-d SEC | -n N] [-R RPS] [-m METHOD] [-H 'Name: value']... [-b BODY | --body-file F]
                [--http2] [--workers N] [--timeout MS] [--json]`;

export async function loadCommand(argv: readonly string[]): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        connections: { type: 'string', short: 'c' },
        duration: { type: 'string', short: 'd' },
        requests: { type: 'string', short: 'n' },
        rate: { type: 'string', short: 'R' },
        method: { type: 'string', short: 'm' },
        header: { type: 'string', short: 'H', multiple: true },
        body: { type: 'string', short: 'b' },
        'body-file': { type: 'string' },
        http2: { type: 'boolean' },
        workers: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (positionals.length > 1) throw new UsageError(`load takes one URL, got ${positionals.length}`);
  if (values.body !== undefined && values['body-file'] !== undefined) throw new UsageError('load takes -b or --body-file, not both');
  const body = values['body-file'] !== undefined ? readFileSync(values['body-file']) : values.body !== undefined ? Buffer.from(values.body) : null;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const live = !values.json;
  if (live) process.stderr.write(`${'time'.padStart(6)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'errors'.padStart(7)}\n`);
  try {
    // Loaded here: its histograms weigh on the start of every other command.
    const { generateLoad } = await import('../jobs/load.js');
    const result = await generateLoad({
      url: httpUrl(positionals[0], 'load'),
      method: (values.method ?? 'GET').toUpperCase(),
      headers: headerFlags(values.header),
      body,
      connections: wholeFlag(values.connections, 'connections', 64),
      durationMs: values.duration === undefined ? undefined : numberFlag(values.duration, 'duration', 10) * 1000,
      requests: values.requests === undefined ? undefined : wholeFlag(values.requests, 'requests', 1),
      rate: numberFlag(values.rate, 'rate', 0, true),
      http2: values.http2 === true,
      workers: values.workers === undefined ? undefined : wholeFlag(values.workers, 'workers', 1),
      timeoutMs: numberFlag(values.timeout, 'timeout', 0, true),
      onInterval: live ? (i) => process.stderr.write(`${intervalLine(i)}\n`) : undefined,
      signal: controller.signal,
    });
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatLoad(result)}\n`);
    return Object.keys(result.errors).length > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function intervalLine(i: LoadInterval): string {
  return `${`${Math.round(i.elapsedMs / 1000)}s`.padStart(6)} ${String(Math.round(i.rps)).padStart(9)} ${i.latency.p50.toFixed(2).padStart(9)} ${i.latency.p99.toFixed(2).padStart(9)} ${String(i.errors).padStart(7)}`;
}

/** The summary as text. */
export function formatLoad(r: LoadResult): string {
  const l = r.latency;
  const counts = (m: Record<string, number>): string => Object.entries(m).map(([k, v]) => `${k}×${v}`).join(' ');
  return [
    `requests   ${r.requests} in ${(r.durationMs / 1000).toFixed(2)} s, ${r.rps} req/s, ${formatBytes(r.bytes)} read (${formatBytes((r.bytes * 1000) / Math.max(1, r.durationMs))}/s)`,
    `latency    p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  p99.9 ${l.p999} ms  max ${l.max} ms`,
    `statuses   ${counts(r.statuses) || '-'}`,
    `errors     ${counts(r.errors) || 'none'}`,
  ].join('\n');
}
