import { describe, expect, it } from 'vitest';
import { parseArgs, intFlag, UsageError } from '../../dist/src/cli/args.js';

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
