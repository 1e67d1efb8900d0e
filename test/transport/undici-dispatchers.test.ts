import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { Client, Pool, ProxyAgent } from '../../dist/src/transport/undici-dispatchers.js';

describe("undici's dispatchers, loaded by path", () => {
  it('are the very classes undici exports, with the methods its index gives every dispatcher', () => {
    expect(Pool).toBe(undici.Pool);
    expect(Client).toBe(undici.Client);
    expect(ProxyAgent).toBe(undici.ProxyAgent);
    // ProxyAgent opens its CONNECT tunnels with `connect`, which only undici's index installs.
    expect(typeof (Pool.prototype as unknown as { connect?: unknown }).connect).toBe('function');
  });
});
