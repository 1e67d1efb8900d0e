/**
 * The file piscina loads in each worker: a CommonJS module, so that piscina's first attempt,
 * `require(file)`, loads it as CommonJS, and our ES module (transport.ts) is loaded by the
 * `import()` below. Given the ES module itself, Node 20.19+ and 22+ load it through
 * `require()` of ESM, and a worker terminated in the middle of that (a session opened and
 * closed at once, a test process exiting while its workers start) aborts the whole process:
 * "FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal" in `CreateRequiredModuleFacade`, or
 * "v8::Module::IsGraphAsync must be used on an instantiated module", both seen in CI. A
 * dynamic import is the path every ES module worker takes and ends cleanly on termination.
 * Piscina awaits the default export, which becomes the task handler.
 */
module.exports = { __esModule: true, default: import('./transport.js').then((m) => m.default) };
