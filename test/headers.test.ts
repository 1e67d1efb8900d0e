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

describe('Headers.shared', () => {
  it('a shared copy and its source each keep their own changes (set, append, delete, assignTrusted)', () => {
    const source = new Headers({ Accept: '*/*', 'X-List': ['a', 'b'] });
    const copy = source.shared();
    copy.append('X-List', 'c');
    copy.set('Accept', 'text/html');
    expect(source.getAll('x-list')).toEqual(['a', 'b']);
    expect(source.get('accept')).toBe('*/*');
    expect(copy.getAll('x-list')).toEqual(['a', 'b', 'c']);

    const second = source.shared();
    source.delete('accept');
    source.append('X-List', 'z');
    expect(second.get('accept')).toBe('*/*');
    expect(second.getAll('x-list')).toEqual(['a', 'b']);
    second.assignTrusted(new Headers({ 'X-New': '1' }));
    expect(source.has('x-new')).toBe(false);
    expect(copy.has('x-new')).toBe(false);
    expect(copy.get('accept')).toBe('text/html');
  });

  it('the version moves with every change, so what was built from the fields can tell it is stale', () => {
    const h = new Headers({ A: '1' });
    const v0 = h.version;
    h.set('A', '2');
    const v1 = h.version;
    h.append('B', '3');
    const v2 = h.version;
    h.delete('b');
    expect(new Set([v0, v1, v2, h.version]).size).toBe(4);
  });
});

describe('Headers.fields', () => {
  it('follows every change, of the headers and of a shared copy, and cannot be changed by its reader', () => {
    const base = new Headers({ Accept: '*/*' });
    expect(base.fields()).toEqual(['Accept', '*/*']);
    const copy = base.shared();
    expect(copy.fields()).toEqual(['Accept', '*/*']);
    copy.append('Accept', 'text/html');
    expect(copy.fields()).toEqual(['Accept', '*/*', 'Accept', 'text/html']);
    expect(base.fields()).toEqual(['Accept', '*/*']);
    base.set('X-A', '1');
    expect(base.fields()).toEqual(['Accept', '*/*', 'X-A', '1']);
    expect(() => (base.fields() as string[]).push('x')).toThrow(TypeError);
  });
});
