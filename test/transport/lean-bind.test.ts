import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installLeanBind } from '../../dist/src/transport/lean-bind.js';

// The transport workers install it; here it is installed in this test's process and taken
// out again afterwards.
const original = AsyncResource.prototype.bind;
beforeAll(() => installLeanBind());
afterAll(() => {
  AsyncResource.prototype.bind = original;
});

describe('lean AsyncResource.bind', () => {
  it('runs the function in the async context the resource was made in, with this and arguments', () => {
    const als = new AsyncLocalStorage<string>();
    const resource = als.run('made here', () => new AsyncResource('test'));
    const bound = resource.bind(function (this: { tag: string }, a: number, b: number) {
      return `${als.getStore()} ${this.tag} ${a + b}`;
    });
    expect(AsyncResource.prototype.bind).not.toBe(original);
    expect(als.run('called elsewhere', () => bound.call({ tag: 'this' }, 1, 2))).toBe('made here this 3');
    const withThis = resource.bind(function (this: { tag: string }) {
      return `${als.getStore()} ${this.tag}`;
    }, { tag: 'given' });
    expect(als.run('called elsewhere', () => withThis())).toBe('made here given');
  });

  it('leaves out the deprecated asyncResource property, and refuses what is not a function', () => {
    const bound = new AsyncResource('test').bind(() => 1);
    expect('asyncResource' in bound).toBe(false);
    expect(() => new AsyncResource('test').bind(1 as unknown as () => void)).toThrow(TypeError);
  });
});
