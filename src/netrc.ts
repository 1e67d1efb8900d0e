/**
 * Credentials from a netrc file, as Requests reads them when `trustEnv` is on: the file
 * named by `NETRC`, else `~/.netrc`, else `~/_netrc`; the entry for the host, else the
 * `default` entry.
 *
 * As in Requests, a `default` entry is sent to every host that has no entry of its own,
 * also to the new host of a cross-host redirect and over plain http: keep `default` out of
 * a netrc file a client with `trustEnv` reads, or turn `trustEnv` off. A file other users
 * can read is used, with a warning (once per file).
 *
 * @example
 * ```ts
 * // ~/.netrc:  machine api.example.com login me password s3cret
 * netrcAuth('api.example.com'); // ['me', 's3cret']
 * ```
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * One `machine` (or `default`) entry of a netrc file.
 *
 * @example
 * ```ts
 * parseNetrc('machine h login u password p').machines.get('h'); // a NetrcEntry
 * ```
 */
export interface NetrcEntry {
  login: string;
  account: string;
  password: string;
}

/**
 * A parsed netrc file: entries by machine name (lower case), and the `default` one.
 *
 * @example
 * ```ts
 * const { machines, default: fallback }: Netrc = parseNetrc(text);
 * ```
 */
export interface Netrc {
  machines: Map<string, NetrcEntry>;
  default: NetrcEntry | null;
}

/**
 * `[login, password]` for `host` from the user's netrc file, or `null` when there is no
 * file, no entry, or the file cannot be read. `host` may also be a URL or `host:port`;
 * only the host name counts. When an entry has no login its account is used, as Requests does.
 *
 * @example
 * ```ts
 * netrcAuth('https://api.example.com:8443/v1', { NETRC: '/run/secrets/netrc' });
 * ```
 */
export function netrcAuth(host: string, env: NodeJS.ProcessEnv = process.env): [string, string] | null {
  const path = netrcPath(env);
  if (!path) return null;
  let netrc: Netrc;
  try {
    netrc = parseNetrc(readFileSync(path, 'utf8'));
  } catch {
    // Requests ignores an unreadable or malformed netrc rather than failing the request.
    return null;
  }
  warnIfShared(path);
  const name = hostName(host);
  const entry = netrc.machines.get(name) ?? netrc.default;
  if (!entry) return null;
  return [entry.login || entry.account, entry.password];
}

const warned = new Set<string>();

/** A process warning, once per file, when others than its owner may read it (not on Windows). */
function warnIfShared(path: string): void {
  if (process.platform === 'win32' || warned.has(path)) return;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return;
  }
  if ((mode & 0o077) === 0) return;
  warned.add(path);
  process.emitWarning(`${path} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); it holds credentials: chmod 600 it`, {
    type: 'SecurityWarning',
    code: 'NQ_NETRC_READABLE',
  });
}

/**
 * The netrc file to read: `NETRC` when set (even if missing: then there is none),
 * else the first of `~/.netrc`, `~/_netrc` that exists.
 *
 * @example
 * ```ts
 * netrcPath({ HOME: '/home/me' }); // '/home/me/.netrc' when it exists
 * ```
 */
export function netrcPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const home = env.HOME || env.USERPROFILE || homedir();
  const expand = (p: string) => (p === '~' || p.startsWith('~/') ? join(home, p.slice(1)) : p);
  if (env.NETRC !== undefined) {
    const p = expand(env.NETRC);
    return p && existsSync(p) ? p : null;
  }
  for (const f of ['.netrc', '_netrc']) {
    const p = join(home, f);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Parses netrc text: `machine`, `default`, `login`, `password`, `account` and `macdef`
 * (skipped to the next blank line); tokens may be double-quoted with backslash escapes;
 * a token starting with `#` comments out the rest of the line. A later entry for the
 * same machine replaces an earlier one, as in Python's `netrc`.
 *
 * @example
 * ```ts
 * parseNetrc('machine h login u password p').machines.get('h'); // { login: 'u', account: '', password: 'p' }
 * ```
 */
export function parseNetrc(text: string): Netrc {
  const netrc: Netrc = { machines: new Map(), default: null };
  const tokens = tokenize(text);
  let current: NetrcEntry | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'macdef') continue;
    switch (t.value) {
      case 'machine': {
        const name = tokens[++i];
        if (!name) throw new Error('netrc: "machine" without a name');
        current = { login: '', account: '', password: '' };
        netrc.machines.set(name.value.toLowerCase(), current);
        break;
      }
      case 'default':
        current = { login: '', account: '', password: '' };
        netrc.default = current;
        break;
      case 'login':
      case 'user':
      case 'account':
      case 'password': {
        const value = tokens[++i];
        if (!current || !value) throw new Error(`netrc: "${t.value}" outside an entry or without a value`);
        current[t.value === 'user' ? 'login' : t.value] = value.value;
        break;
      }
      default:
        throw new Error(`netrc: unexpected token ${JSON.stringify(t.value)}`);
    }
  }
  return netrc;
}

interface Token {
  kind: 'word' | 'macdef';
  value: string;
}

const VALUE_KEYWORDS = new Set(['machine', 'login', 'user', 'account', 'password']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    // `#` comments out the line where a keyword is expected, not in a value (`password #1`).
    const prev = tokens[tokens.length - 1];
    const wantsValue = prev?.kind === 'word' && VALUE_KEYWORDS.has(prev.value);
    if (c === '#' && !wantsValue) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    let value = '';
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
    }
    if (value === 'macdef') {
      // A macro runs to the first empty line; its body is not netrc syntax.
      const end = /\r?\n[ \t]*\r?\n/.exec(text.slice(i));
      i = end ? i + end.index + end[0].length : text.length;
      tokens.push({ kind: 'macdef', value });
      continue;
    }
    tokens.push({ kind: 'word', value });
  }
  return tokens;
}

// Netrc entries name hosts, without scheme or port.
function hostName(host: string): string {
  let h = host.trim();
  if (h.includes('://')) {
    try {
      h = new URL(h).hostname;
    } catch {
      // fall through with the text as given
    }
  } else if (!h.startsWith('[')) h = h.replace(/:\d+$/, '');
  return h.replace(/^\[|\]$/g, '').toLowerCase();
}
