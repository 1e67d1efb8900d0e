/**
 * A leaner `AsyncResource.prototype.bind`, installed in the transport workers only.
 *
 * `node:http2` binds an AsyncResource for every request it starts (to carry async context to
 * the stream's connect callback), and Node's `bind` also defines the deprecated
 * `asyncResource` getter (DEP0172) on each bound function through `util.deprecate`, which
 * builds a fresh wrapper on every call. Measured here: 6.4 µs a call on Node 20.20, 2.4 µs on
 * Node 24; on Node 20 it was about a quarter of a worker's time per HTTP/2 request, and
 * AsyncSession's HTTP/2 throughput rose ~25% without it. Only nodequests' code runs in these
 * threads and none of it reads that property, so the workers bind without it; everything
 * else is as Node's: the function runs in the resource's async scope, with the caller's
 * `this` (or `thisArg`).
 */
import { AsyncResource } from 'node:async_hooks';

export function installLeanBind(): void {
  AsyncResource.prototype.bind = function bind<Func extends (...args: any[]) => any>(this: AsyncResource, fn: Func, thisArg?: unknown): Func {
    if (typeof fn !== 'function') throw new TypeError(`The "fn" argument must be of type function. Received ${typeof fn}`);
    const resource = this;
    if (thisArg !== undefined) return ((...args: unknown[]) => resource.runInAsyncScope(fn, thisArg, ...args)) as Func;
    return function (this: unknown, ...args: unknown[]) {
      return resource.runInAsyncScope(fn, this, ...args);
    } as Func;
  };
}
