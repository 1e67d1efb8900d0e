// Bundles the transport worker, dist/workers/bundle/transport.js: the worker's modules as
// one ES module (plus a chunk for what it loads later, such as a load run), from the
// compiled dist/workers/transport.js. A worker that loads one file instead of some sixty
// starts ~15 ms sooner, which is most of what a one-shot script waits for after Node's own
// start. Packages stay outside the bundle, found in node_modules as before.
//
// inputs.json lists the files the bundle was made from: the engine runs the bundle only
// while none of them is newer than it (src/engine/worker-file.ts), so a `tsc` run without
// this script falls back to the compiled files instead of running stale code.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/workers/bundle`;
rmSync(outdir, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: ['dist/workers/transport.js'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
});
// Relative to the bundle's folder, which is where the engine resolves them from.
const inputs = Object.keys(metafile.inputs).map((file) => `../../../${file}`);
writeFileSync(`${outdir}/inputs.json`, `${JSON.stringify(inputs)}\n`);
