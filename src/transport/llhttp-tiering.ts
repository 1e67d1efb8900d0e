/**
 * On Node 20 only: compiles undici's HTTP/1.1 parser (llhttp, WebAssembly) once, before
 * undici does, with a larger tier-up budget, so that a process that parses a few dozen
 * responses never starts optimising the parser; a busy worker still does within its first
 * hundred or so.
 *
 * Node 20's V8 (11.3) gives each WebAssembly function a budget of 1,800,000 "bytes
 * executed" before it is recompiled by the optimising compiler, in the background; llhttp's
 * main function spends that on the first response. A thread that stops waits for that
 * compile, so a one-shot script exited 60-80 ms after its response on the project's 2-core
 * VM (undici's own `request()` pays the same). V8 12+ (Node 22 and 24) starts at 13,000,000,
 * which one response does not exhaust.
 *
 * The budget is a process-wide V8 flag, read when a module is compiled: it is raised for this
 * one compile and put back at once. Put back exactly, because V8 checks the flags' hash
 * before it takes the code cache of Node's own modules: left changed, every built-in module
 * loaded afterwards would be compiled from source (~12 ms more for http2, tls, https, dgram,
 * dns and zlib). undici's own compile of the same bytes then comes from V8's cache of
 * compiled modules, budgets included, as long as this module is alive: it is kept.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';

const NODE_20_BUDGET = 1_800_000;
/** A hundred times Node 20's: measured, about a hundred responses' worth. */
const PRIMED_BUDGET = 180_000_000;

/** Node has WebAssembly; the project's TypeScript libs (no DOM) do not describe it. */
const { WebAssembly } = globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } };

let primed: object | null = null;

export function primeLlhttp(): void {
  if (primed || !process.versions.v8.startsWith('11.3.')) return;
  // A budget of the user's own stands; so does undici's choice of the parser without SIMD
  // (which these bytes would not match).
  const options = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (options.includes('wasm-tiering-budget') || options.includes('liftoff') || process.env.UNDICI_NO_WASM_SIMD === '1' || process.arch === 'ppc64') return;
  const bytes = createRequire(import.meta.url)('undici/lib/llhttp/llhttp_simd-wasm.js') as Buffer;
  setFlagsFromString(`--wasm-tiering-budget=${PRIMED_BUDGET}`);
  try {
    primed = new WebAssembly.Module(bytes);
  } catch {
    // No SIMD here: undici falls back to its other parser, compiled as usual.
  } finally {
    setFlagsFromString(`--wasm-tiering-budget=${NODE_20_BUDGET}`);
  }
}
