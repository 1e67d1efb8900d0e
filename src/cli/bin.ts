#!/usr/bin/env node
/**
 * The `nodequests` executable: turns on Node's compile cache (Node 22+) before the command's
 * modules are parsed, so that later runs skip compiling them, then runs the command.
 */
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./main.js');
