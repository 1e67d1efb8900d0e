import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFresh } from '../dist/src/fresh-bundle.js';

describe('a bundle is loaded only while fresh', () => {
  let dir: string;
  const url = (p: string) => pathToFileURL(join(dir, p));
  const at = (p: string, seconds: number) => utimesSync(join(dir, p), seconds, seconds);
  beforeEach(() => {
    // The layout of a build: the bundle, its list of inputs, and the compiled inputs.
    dir = mkdtempSync(join(tmpdir(), 'nq-worker-file-'));
    mkdirSync(join(dir, 'bundle'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/a.js'), 'a');
    writeFileSync(join(dir, 'src/b.js'), 'b');
    writeFileSync(join(dir, 'bundle/transport.js'), 'ab');
    writeFileSync(join(dir, 'bundle/inputs.json'), JSON.stringify(['../src/a.js', '../src/b.js']));
    at('src/a.js', 1000);
    at('src/b.js', 1000);
    at('bundle/transport.js', 2000);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the bundle when no input is newer, as after a build or in an installed package (one date for all)', () => {
    expect(isFresh(url('bundle/transport.js'))).toBe(true);
    at('src/a.js', 2000);
    expect(isFresh(url('bundle/transport.js'))).toBe(true);
  });

  it('refuses a bundle older than one of its inputs (a compile without the bundle step), with an input gone, or none', () => {
    at('src/b.js', 3000);
    expect(isFresh(url('bundle/transport.js'))).toBe(false);
    at('src/b.js', 1000);
    rmSync(join(dir, 'src/a.js'));
    expect(isFresh(url('bundle/transport.js'))).toBe(false);
    rmSync(join(dir, 'bundle'), { recursive: true });
    expect(isFresh(url('bundle/transport.js'))).toBe(false);
  });

});
