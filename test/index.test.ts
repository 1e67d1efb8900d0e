import { describe, expect, it } from 'vitest';
import * as entry from '../dist/src/index.js';
import nq, { AsyncSession, HTTPError, Session } from '../dist/src/index.js';

describe('the default export', () => {
  it('carries the whole API: verbs, sessions, errors, codes', () => {
    expect(nq.Session).toBe(Session);
    expect(nq.AsyncSession).toBe(AsyncSession);
    expect(nq.HTTPError).toBe(HTTPError);
    expect(typeof nq.get).toBe('function');
    expect(nq.codes.not_found).toBe(404);
    expect('errorFromCode' in nq).toBe(false);
  });

  it('has every named export of the package under the same name', () => {
    const missing = Object.entries(entry).filter(([name, value]) => name !== 'default' && (nq as Record<string, unknown>)[name] !== value);
    expect(missing.map(([name]) => name)).toEqual([]);
  });
});
