// The browser build (src/browser/index.ts, bundled by scripts/build-browser.mjs): one
// self-contained ES module, no Node built-in and no bare import left, within its size budget,
// and what the package's export conditions point a browser bundler to.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser } from '../../scripts/build-browser.mjs';

/** The README's budget for the gzipped bundle. */
const BUDGET = 40 * 1024;

describe('the browser bundle', () => {
  let dir: string;
  let built: Awaited<ReturnType<typeof buildBrowser>>;
  let code: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nq-bundle-'));
    built = await buildBrowser({ outfile: join(dir, 'nodequests.js'), quiet: true });
    code = readFileSync(join(dir, 'nodequests.js'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports nothing: no Node built-in, no package, no other file', () => {
    const outputs = (built.metafile as { outputs: Record<string, { imports: unknown[] }> }).outputs;
    const bundle = Object.entries(outputs).find(([name]) => name.endsWith('nodequests.js'))![1];
    expect(bundle.imports).toEqual([]);
    expect(code).not.toMatch(/\brequire\(|from\s*["'](node:|[a-z@])/);
  });

  it('leaves out what only Node runs: the engine, undici, tough-cookie, chardet', () => {
    const inputs = Object.keys((built.metafile as { inputs: Record<string, unknown> }).inputs);
    for (const left of ['src/engine/engine.ts', 'src/session/adapter.ts', 'src/cookies.ts', 'src/transport/', 'src/engine/worker-pool.ts', 'undici', 'tough-cookie', 'chardet/lib']) {
      expect(inputs.filter((i) => i.includes(left))).toEqual([]);
    }
    expect(inputs).toContain('src/browser/adapter.ts');
  });

  it(`is within its budget of ${BUDGET / 1024} KB gzipped`, () => {
    expect(built.gzipped).toBeLessThan(BUDGET);
  });

  it('is what the browser export condition and nodequests/browser resolve to', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['.'].browser).toBe('./dist/browser/nodequests.js');
    expect(pkg.exports['./browser'].default).toBe('./dist/browser/nodequests.js');
    // The browser condition must come before default, which would otherwise win.
    const conditions = Object.keys(pkg.exports['.']);
    expect(conditions.indexOf('browser')).toBeGreaterThanOrEqual(0);
    expect(conditions.indexOf('browser')).toBeLessThan(conditions.indexOf('default'));
  });
});
