/**
 * The file a pool worker starts from (src/engine/worker-pool.ts): a CommonJS module that
 * `import()`s the ES module named in its argv. Started as the worker's main module, an ES
 * module fails when the process runs under `node --input-type=module -e '…'` (the worker
 * inherits `--input-type`, which "can only be used with string input"); passing the worker
 * a filtered `execArgv` instead makes Node reject the V8 flags it would otherwise drop
 * (`--expose-gc`). A dynamic import also ends cleanly if the worker is terminated while
 * loading, which `require()` of an ES module did not.
 */
import('' + process.argv[2]);
