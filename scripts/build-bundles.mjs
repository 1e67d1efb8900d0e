// Bundles what a process loads at its start, from the compiled JavaScript in dist/:
// - dist/workers/bundle/: the transport worker (entry dist/workers/transport.js);
// - dist/src/bundle/: the command line (dist/src/cli/main.js) and the engine it starts
//   first (dist/src/engine/engine.js), sharing their code through chunks.
// One file (and a chunk or two) instead of some sixty to a hundred and twenty: on Node 20,
// without a compile cache, resolving, reading and linking each module cost a worker ~15 ms
// and the command line's main thread far more. Packages stay outside, found in node_modules.
// Each bundle sits as deep under dist/ as its entries, so paths made from `import.meta.url`
// (the worker's processor thread, the crawler's link extractor) resolve the same.
//
// Each folder's inputs.json lists the files its bundle was made from: a bundle is used only
// while none of them is newer than it (src/fresh-bundle.ts), so a `tsc` run without this
// script falls back to the compiled files instead of running stale code.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

async function bundle(outdir, entryPoints) {
  rmSync(`${root}${outdir}`, { recursive: true, force: true });
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints,
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
  // Relative to the bundle's files, which is where src/fresh-bundle.ts resolves them from.
  const up = '../'.repeat(outdir.split('/').length);
  writeFileSync(`${root}${outdir}/inputs.json`, `${JSON.stringify(Object.keys(metafile.inputs).map((file) => up + file))}\n`);
}

await bundle('dist/workers/bundle', { transport: 'dist/workers/transport.js' });
await bundle('dist/src/bundle', { cli: 'dist/src/cli/main.js', engine: 'dist/src/engine/engine.js' });
