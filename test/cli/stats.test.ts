import { describe, expect, it } from 'vitest';
import { CrawlStats, formatBytes, formatSummary, percentile } from '../../dist/src/cli/stats.js';
import { Progress } from '../../dist/src/cli/progress.js';
import { parseArgs, intFlag, UsageError } from '../../dist/src/cli/args.js';

describe('crawl statistics', () => {
  it('percentiles by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([], 50)).toBe(0);
    expect(percentile([7], 99)).toBe(7);
  });

  it('summarises pages, bytes, statuses and errors', () => {
    const s = new CrawlStats();
    s.recordResponse(200, 1000, 10);
    s.recordResponse(404, 10, 30);
    s.recordError('NQ_ERR_CONNECTION');
    const summary = s.summary();
    expect(summary).toMatchObject({ pages: 2, bytes: 1010, statuses: { 200: 1, 404: 1 }, errors: { NQ_ERR_CONNECTION: 1 } });
    expect(summary.latencyMs).toEqual({ p50: 10, p99: 30 });
    expect(formatSummary(summary)).toMatch(/statuses\s+200×1 404×1/);
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
  });

  it('draws a progress line', () => {
    const s = new CrawlStats();
    s.recordResponse(200, 2048, 1);
    const p = new Progress(s, () => 4, { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream);
    expect(p.line(8)).toMatch(/^\[##\.{6}\] 1\/4 pages {2}2\.0 KiB {2}\d+ req\/s {2}0 errors$/);
    p.stop();
  });
});

describe('arguments', () => {
  const spec = { include: { short: 'i' }, header: { short: 'H', value: true, repeat: true }, n: { value: true } };
  it('parses flags, repeats and positionals', () => {
    const a = parseArgs(['-i', 'http://x', '-H', 'A: 1', '--header=B: 2', '--n', '5'], spec);
    expect(a.positionals).toEqual(['http://x']);
    expect(a.flags).toEqual({ include: true, header: ['A: 1', 'B: 2'], n: '5' });
    expect(intFlag(a, 'n', 1)).toBe(5);
  });
  it('names the bad flag', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--nope'], spec)).toThrow(/unknown option --nope/);
    expect(() => parseArgs(['-H'], spec)).toThrow(/needs a value/);
    expect(() => intFlag(parseArgs(['--n', 'zero'], spec), 'n', 1)).toThrow(/--n takes a whole number/);
  });
});
