// What prepare refuses from the user's side of a call, as found by the fuzzer
// (test/faults/fuzz-input.test.ts): an error of the tree that names the value.
import { describe, expect, it } from 'vitest';
import { InvalidMethod, InvalidOption, InvalidURL, Session } from '../../dist/src/index.js';

describe('prepareCall', () => {
  it('fuzz counterexample: a method that is not text, even one JSON cannot show ([0n])', () => {
    using s = new Session();
    for (const method of [[0n], 0n, null, { toString: () => 'GET' }]) {
      expect(() => s.request(method as never, 'http://127.0.0.1:1/')).toThrow(InvalidMethod);
    }
  });

  it('an invalid method is an InvalidMethod (an InvalidOption), not an InvalidURL, and the message names it', () => {
    using s = new Session();
    let err: unknown;
    try {
      s.request('GE T', 'http://127.0.0.1:1/');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidMethod);
    expect(err).toBeInstanceOf(InvalidOption);
    expect(err).not.toBeInstanceOf(InvalidURL);
    expect((err as InvalidMethod).code).toBe('NQ_ERR_INVALID_METHOD');
    expect((err as Error).message).toBe('Invalid HTTP method "GE T": expected a token such as GET or PURGE');
  });

  it('fuzz counterexample: an auth function that returns something other than the request (() => 1)', () => {
    using s = new Session();
    expect(() => s.get('http://127.0.0.1:1/', { auth: (() => 1) as never })).toThrow(/auth returned 1; expected the request/);
    expect(() => s.get('http://127.0.0.1:1/', { auth: { apply: () => 'x' } as never })).toThrow(InvalidOption);
  });
});
