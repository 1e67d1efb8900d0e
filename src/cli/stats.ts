/** Tallies for a crawl: pages, bytes, latencies, statuses and errors, and the summary. */
export class CrawlStats {
  readonly started = performance.now();
  pages = 0;
  bytes = 0;
  readonly latencies: number[] = [];
  readonly statuses = new Map<number, number>();
  readonly errors = new Map<string, number>();

  recordResponse(status: number, bytes: number, ms: number): void {
    this.pages++;
    this.bytes += bytes;
    this.latencies.push(ms);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  recordError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  get elapsedMs(): number {
    return performance.now() - this.started;
  }

  get errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  summary(): CrawlSummary {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const seconds = this.elapsedMs / 1000;
    return {
      pages: this.pages,
      bytes: this.bytes,
      elapsedMs: Math.round(this.elapsedMs),
      requestsPerSecond: Math.round((this.pages + this.errorCount) / seconds),
      latencyMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) },
      statuses: Object.fromEntries([...this.statuses].sort((a, b) => a[0] - b[0])),
      errors: Object.fromEntries(this.errors),
    };
  }
}

export interface CrawlSummary {
  pages: number;
  bytes: number;
  elapsedMs: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  statuses: Record<string, number>;
  errors: Record<string, number>;
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatSummary(s: CrawlSummary): string {
  const lines = [
    `pages      ${s.pages}`,
    `bytes      ${formatBytes(s.bytes)}`,
    `elapsed    ${(s.elapsedMs / 1000).toFixed(2)} s`,
    `rate       ${s.requestsPerSecond} req/s`,
    `latency    p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms`,
    `statuses   ${Object.entries(s.statuses).map(([k, v]) => `${k}×${v}`).join(' ') || '-'}`,
    `errors     ${Object.entries(s.errors).map(([k, v]) => `${k}×${v}`).join(' ') || 'none'}`,
  ];
  return lines.join('\n');
}
