/**
 * A small argument parser for the `nodequests` command: flags with values (`--name v`,
 * `--name=v`, `-X v`), repeatable flags, booleans, and positionals. Unknown flags are an
 * error that names them.
 */
export interface FlagSpec {
  /** Takes a value. */
  value?: boolean;
  /** May be given more than once (values collect in a list). */
  repeat?: boolean;
  /** Short form, e.g. `-i`. */
  short?: string;
}

export interface Parsed {
  flags: Record<string, string | boolean | string[]>;
  positionals: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([name, s]) => [s.short!, name]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else if (arg.startsWith('-') && arg.length > 1) {
      name = byShort.get(arg.slice(1));
      if (!name) throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    let value: string | boolean = true;
    if (s.value) {
      value = inline ?? argv[++i] ?? '';
      if (inline === undefined && i >= argv.length) throw new UsageError(`option ${arg} needs a value`);
    }
    if (s.repeat) ((flags[name] ??= []) as string[]).push(String(value));
    else flags[name] = value;
  }
  return { flags, positionals };
}

/** A flag's value as a positive whole number, or the default. */
export function intFlag(parsed: Parsed, name: string, fallback: number): number {
  const v = parsed.flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} takes a whole number >= 1, got ${JSON.stringify(v)}`);
  return n;
}
