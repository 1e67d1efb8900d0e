import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The thread boundary, checked on the sources: the main thread loads nothing from
// src/transport/, the transport workers nothing of the main thread's policy. What both
// sides share (frame layouts, windows, the settings that cross) lives in src/channel/.
const root = fileURLToPath(new URL('..', import.meta.url));
const MAIN_ONLY = ['src/session/', 'src/request/', 'src/response/', 'src/engine/', 'src/cli/', 'src/demo/', 'src/jobs/'];
const WORKER_ONLY = ['src/transport/'];

/** Relative imports of a source file: `[specifier, typeOnly]`; `packages`: the other ones, static only. */
function importsOf(file: string, packages?: Set<string>): Array<[string, boolean]> {
  const text = readFileSync(file, 'utf8');
  const found: Array<[string, boolean]> = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;'"]*?from\s+'(\.[^']+)'/gm)) found.push([m[3]!, m[2] !== undefined]);
  for (const m of text.matchAll(/^\s*import\s+'(\.[^']+)'/gm)) found.push([m[1]!, false]);
  if (!packages) for (const m of text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)) found.push([m[1]!, false]);
  for (const m of text.matchAll(/^\s*import\s+(?!type\s)[^;'"]*?from\s+'([^.'][^']*)'/gm)) packages?.add(m[1]!);
  return found;
}

function toSource(from: string, specifier: string): string {
  return resolve(dirname(from), specifier).replace(/\.js$/, '.ts');
}

/**
 * Every file reachable from `entry`; `withTypes` follows type-only imports too. With
 * `packages`, only static imports are followed, and the packages they name are added to it.
 */
function reachable(entry: string, withTypes: boolean, packages?: Set<string>): Map<string, string> {
  const seen = new Map<string, string>([[entry, '(entry)']]);
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift()!;
    for (const [spec, typeOnly] of importsOf(file, packages)) {
      if (typeOnly && !withTypes) continue;
      const target = toSource(file, spec);
      if (!seen.has(target)) {
        seen.set(target, relative(root, file));
        queue.push(target);
      }
    }
  }
  return seen;
}

function offenders(found: Map<string, string>, forbidden: string[]): string[] {
  return [...found]
    .map(([file, via]) => [relative(root, file), via] as const)
    .filter(([file]) => forbidden.some((dir) => file.startsWith(dir)))
    .map(([file, via]) => `${file} (imported by ${via})`);
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, dir, f));
}

describe('the thread boundary', () => {
  it('the main thread (the package entry) loads nothing from src/transport/', () => {
    expect(offenders(reachable(join(root, 'src/index.ts'), false), WORKER_ONLY)).toEqual([]);
    expect(offenders(reachable(join(root, 'src/cli/main.ts'), false), WORKER_ONLY)).toEqual([]);
  });

  it('the transport workers load nothing of the main thread', () => {
    expect(offenders(reachable(join(root, 'workers/transport.ts'), false), MAIN_ONLY)).toEqual([]);
    expect(offenders(reachable(join(root, 'workers/processor.ts'), false), MAIN_ONLY)).toEqual([]);
  });

  it('no file on either side imports, even for types, from the other side', () => {
    const crossings: string[] = [];
    for (const file of [...sourcesUnder('src/transport'), ...sourcesUnder('workers')]) {
      for (const [spec] of importsOf(file)) {
        const target = relative(root, toSource(file, spec));
        if (MAIN_ONLY.some((d) => target.startsWith(d))) crossings.push(`${relative(root, file)} -> ${target}`);
      }
    }
    for (const dir of MAIN_ONLY) {
      for (const file of sourcesUnder(dir)) {
        for (const [spec] of importsOf(file)) {
          const target = relative(root, toSource(file, spec));
          if (WORKER_ONLY.some((d) => target.startsWith(d))) crossings.push(`${relative(root, file)} -> ${target}`);
        }
      }
    }
    expect(crossings).toEqual([]);
  });

  it('a transport worker starts without the code a first plain HTTP/1.1 request does not need', () => {
    // Loaded on first use instead (src/on-first-use.ts, a dynamic import for load runs):
    // each of these cost a worker's start milliseconds to tens of milliseconds.
    // undici's index is one of them: the worker takes its dispatchers by path
    // (src/transport/undici-dispatchers.ts).
    const packages = new Set<string>();
    reachable(join(root, 'workers/transport.ts'), false, packages);
    expect(packages).toContain('node:http2');
    expect([...packages].filter((p) => ['undici', 'ws', 'dns-packet', 'hdr-histogram-js'].includes(p))).toEqual([]);
  });

  it('the package entry loads no cookie parser, charset detector or WebSocket client up front', () => {
    // Loaded on first use (src/on-first-use.ts): a script's start need not pay for them.
    const packages = new Set<string>();
    reachable(join(root, 'src/index.ts'), false, packages);
    expect(packages).toContain('node:worker_threads');
    expect([...packages].filter((p) => ['tough-cookie', 'chardet', 'ws', 'undici'].includes(p))).toEqual([]);
  });
});
