// Header input as users give it, including what the fuzzer (test/faults/fuzz-input.test.ts)
// found: every wrong shape or type is an InvalidHeader naming it, never a TypeError or a
// value sent as "[object Object]".
import { describe, expect, it } from 'vitest';
import { Headers, InvalidHeader, RequestException, Session } from '../dist/src/index.js';

const refuses = (init: unknown): RequestException => {
  try {
    new Headers(init as never);
  } catch (e) {
    return e as RequestException;
  }
  throw new Error(`accepted ${String(init)}`);
};

describe('Headers from user input', () => {
  it('numbers are written out; strings and lists of them are kept', () => {
    const h = new Headers({ 'X-N': 5, 'X-S': 'a', 'X-L': ['b', 'c'] });
    expect([h.get('x-n'), h.get('x-s'), h.getAll('x-l')]).toEqual(['5', 'a', ['b', 'c']]);
  });

  it('fuzz counterexample: an iterable whose entries are not [name, value] pairs (new Set([false]))', () => {
    const e = refuses(new Set([false]));
    expect(e).toBeInstanceOf(InvalidHeader);
    expect(e.message).toContain('false');
  });

  it('fuzz counterexample: a value that is not text, alone or in a list (new Map([["X-Test", [{}]]]))', () => {
    for (const init of [new Map([['X-Test', [{}]]]), { 'X-Test': {} }, { 'X-Test': Symbol('s') }, [['X-Test', () => 1]]]) {
      const e = refuses(init);
      expect(e).toBeInstanceOf(InvalidHeader);
      expect(e.message).toContain('X-Test');
    }
  });

  it('a name that is not a string, even to remove it ([[5, null]])', () => {
    expect(refuses([[5, null]])).toBeInstanceOf(InvalidHeader);
  });

  it('a request with such headers fails before anything is sent', () => {
    using s = new Session();
    expect(() => s.get('http://127.0.0.1:1/', { headers: { 'X-Test': { a: 1 } } as never })).toThrow(InvalidHeader);
  });
});
