#!/usr/bin/env node
/**
 * The `nodequests` executable: turns on Node's compile cache (Node 22+) before the command's
 * modules are parsed, so that later runs skip compiling them; starts the transport worker of
 * a request while the command's modules load; then runs the command.
 */
import module from 'node:module';
import { startsTransport } from './prestart.js';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
if (startsTransport(process.argv.slice(2))) (await import('../engine/engine.js')).Engine.acquire(1);
await import('./main.js');
