/**
 * undici's dispatchers without the rest of undici. Its index also loads fetch, WebSocket,
 * EventSource, the cache and the mocks, and its cookie helpers pull in Node's own bundled
 * copy of undici (with a second llhttp to compile): about 50 ms and 8 MiB of a transport
 * worker's start, for classes the transport never uses. undici has no `exports` map, so its
 * files are reachable by path; `test/transport/undici-dispatchers.test.ts` checks that these
 * are the very classes undici exports, so a release that moves them fails there first.
 *
 * undici's index also gives every dispatcher its `request`, `connect`… methods, which its
 * ProxyAgent calls on its own pools (`connect` opens the CONNECT tunnel): done here as there.
 */
import { createRequire } from 'node:module';
import { primeLlhttp } from './llhttp-tiering.js';
import type { Client as UndiciClient, Pool as UndiciPool, ProxyAgent as UndiciProxyAgent } from 'undici';

const require = createRequire(import.meta.url);

Object.assign(require('undici/lib/dispatcher/dispatcher.js').prototype, require('undici/lib/api/index.js'));

primeLlhttp();

export const Pool: typeof UndiciPool = require('undici/lib/dispatcher/pool.js');
export type Pool = UndiciPool;
export type PoolOptions = UndiciPool.Options;
export const Client: typeof UndiciClient = require('undici/lib/dispatcher/client.js');
export type Client = UndiciClient;
export const ProxyAgent: typeof UndiciProxyAgent = require('undici/lib/dispatcher/proxy-agent.js');
