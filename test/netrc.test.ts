import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netrcAuth, netrcPath, parseNetrc } from '../dist/src/netrc.js';

const dir = mkdtempSync(join(tmpdir(), 'nq-netrc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function netrcFile(text: string): string {
  const path = join(dir, `netrc-${n++}`);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

describe('netrcAuth', () => {
  const file = netrcFile(`
# a comment line
machine api.example.com
  login alice
  password s3cret

machine other.example.com login bob password "pass word" account acct
machine accountonly.example.com account acc password pw
default login anon password guest@
`);
  const env = { NETRC: file, HOME: dir };

  it('reads the entry for a host from the file named by NETRC', () => {
    expect(netrcAuth('api.example.com', env)).toEqual(['alice', 's3cret']);
    expect(netrcAuth('other.example.com', env)).toEqual(['bob', 'pass word']);
  });

  it('takes a URL or host:port, and ignores case', () => {
    expect(netrcAuth('https://API.example.com:8443/v1?x=1', env)).toEqual(['alice', 's3cret']);
    expect(netrcAuth('api.example.com:8080', env)).toEqual(['alice', 's3cret']);
  });

  it('uses the account when there is no login, as Requests does', () => {
    expect(netrcAuth('accountonly.example.com', env)).toEqual(['acc', 'pw']);
  });

  it('falls back to the default entry', () => {
    expect(netrcAuth('unknown.example.com', env)).toEqual(['anon', 'guest@']);
  });

  it('is null without a matching entry and no default', () => {
    const path = netrcFile('machine only.example.com login u password p\n');
    expect(netrcAuth('else.example.com', { NETRC: path })).toBeNull();
  });

  it('is null when NETRC names a missing file, without looking in HOME', () => {
    const home = mkdtempSync(join(dir, 'home-'));
    writeFileSync(join(home, '.netrc'), 'default login x password y\n');
    expect(netrcAuth('h', { NETRC: join(dir, 'missing'), HOME: home })).toBeNull();
  });

  it('is null for a malformed file instead of throwing', () => {
    expect(netrcAuth('h', { NETRC: netrcFile('login without machine') })).toBeNull();
    expect(netrcAuth('h', { NETRC: netrcFile('machine') })).toBeNull();
  });

  it('reads ~/.netrc, else ~/_netrc', () => {
    const home = mkdtempSync(join(dir, 'home-'));
    expect(netrcAuth('h', { HOME: home })).toBeNull();
    writeFileSync(join(home, '_netrc'), 'machine h login under password score\n');
    expect(netrcAuth('h', { HOME: home })).toEqual(['under', 'score']);
    writeFileSync(join(home, '.netrc'), 'machine h login dot password file\n');
    expect(netrcAuth('h', { HOME: home })).toEqual(['dot', 'file']);
    expect(netrcPath({ HOME: home })).toBe(join(home, '.netrc'));
  });

  it('expands ~ in NETRC', () => {
    const home = mkdtempSync(join(dir, 'home-'));
    writeFileSync(join(home, 'my-netrc'), 'machine h login t password ilde\n');
    expect(netrcAuth('h', { NETRC: '~/my-netrc', HOME: home })).toEqual(['t', 'ilde']);
  });
});

describe('parseNetrc', () => {
  it('skips macdef bodies up to the blank line', () => {
    const netrc = parseNetrc('macdef init\ncd /pub\nmachine fake login no password no\n\nmachine real login yes password ok\n');
    expect(netrc.machines.has('fake')).toBe(false);
    expect(netrc.machines.get('real')).toEqual({ login: 'yes', account: '', password: 'ok' });
  });

  it('handles quoted tokens with escapes, and # in a password', () => {
    const netrc = parseNetrc('machine h login "a \\"b\\"" password #notacomment # but this is\n');
    expect(netrc.machines.get('h')).toEqual({ login: 'a "b"', account: '', password: '#notacomment' });
  });

  it('lets a later entry for the same machine win, as Python does', () => {
    const netrc = parseNetrc('machine h login first password 1\nmachine h login second password 2\n');
    expect(netrc.machines.get('h')?.login).toBe('second');
  });

  it('handles CRLF files', () => {
    const netrc = parseNetrc('machine h\r\n  login u\r\n  password p\r\n');
    expect(netrc.machines.get('h')).toEqual({ login: 'u', account: '', password: 'p' });
  });
});

describe('a netrc file others can read', () => {
  it('is used, with one SecurityWarning per file; a private one warns of nothing', async () => {
    const warnings: Error[] = [];
    const listen = (w: Error): void => void warnings.push(w);
    process.on('warning', listen);
    try {
      const shared = netrcFile('machine h login u password p');
      chmodSync(shared, 0o644);
      expect(netrcAuth('h', { NETRC: shared })).toEqual(['u', 'p']);
      expect(netrcAuth('h', { NETRC: shared })).toEqual(['u', 'p']);
      const own = netrcFile('machine h login u password p');
      expect(netrcAuth('h', { NETRC: own })).toEqual(['u', 'p']);
      await new Promise((r) => setImmediate(r));
      // Other tests' files may warn too: only these two count here.
      const about = (path: string) => warnings.filter((w) => (w as Error & { code?: string }).code === 'NQ_NETRC_READABLE' && w.message.startsWith(`${path} `));
      expect(about(shared).map((w) => [w.name, w.message])).toEqual([['SecurityWarning', `${shared} can be read by other users (mode 0644); it holds credentials: chmod 600 it`]]);
      expect(about(own)).toEqual([]);
    } finally {
      process.off('warning', listen);
    }
  });
});
