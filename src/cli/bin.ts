#!/usr/bin/env node
/**
 * The `nodequests` executable: turns on Node's compile cache (Node 22+) before the command's
 * modules are parsed, so that later runs skip compiling them; starts the transport worker of
 * a request while the command's modules load; then runs the command.
 *
 * Both come from the bundle `npm run build` makes of them (dist/src/bundle/, one engine
 * shared by the two entries) while it is fresh: on Node 20, loading the command line's
 * modules one by one was the longest part of `nodequests URL`.
 */
import module from 'node:module';
import { isFresh } from '../fresh-bundle.js';
import { startsTransport } from './prestart.js';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const bundled = isFresh(new URL('../bundle/cli.js', import.meta.url));
if (startsTransport(process.argv.slice(2))) {
  const engine = bundled ? '../bundle/engine.js' : '../engine/engine.js';
  ((await import(engine)) as typeof import('../engine/engine.js')).Engine.acquire(1);
}
await import(bundled ? '../bundle/cli.js' : './main.js');
