#!/usr/bin/env node
/**
 * The `nodequests` executable: turns on Node's compile cache (Node 22+) before the command's
 * modules are parsed, so that later runs skip compiling them; starts the transport worker of
 * a request while the command's modules load; then runs the command.
 *
 * A request command also keeps undici's HTTP parser (llhttp, WebAssembly) on V8's baseline
 * compiler. Its first response sets off an optimising compile of the parser in the
 * background, and a stopping worker waits for it: 80-200 ms between the output and the exit
 * on the project's 2-core VM, for a process that parses one response. The flag is
 * process-wide, which the executable may decide for its own process and the library never
 * does; crawl and load run long enough to profit from the optimised parser and keep it.
 */
import module from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { startsTransport } from './prestart.js';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
if (startsTransport(process.argv.slice(2))) {
  setFlagsFromString('--liftoff-only');
  (await import('../engine/engine.js')).Engine.acquire(1);
}
await import('./main.js');
