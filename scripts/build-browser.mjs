// Builds the browser bundle, dist/browser/nodequests.js: one self-contained ES module (no
// Node built-in and no bare import left) from src/browser/index.ts. The shared policy code is
// bundled as it is; the modules that touch Node or the engine are swapped for their browser
// counterparts: the engine's Adapter for the fetch carrier, the tough-cookie jar for the
// browser's own cookies, the settings the browser controls (TLS, proxies, .netrc, resolver)
// for refusals, chardet's guess for none, node:* for the few functions the shared
// code calls, and `Buffer` for a Uint8Array with the part of Node's Buffer the shared code
// uses (src/browser/node/buffer.ts).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = (p) => `${root}src/${p}`;
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

// Project modules replaced in the browser build, by path under src/.
const swapped = {
  'session/adapter.ts': 'browser/adapter.ts',
  'cookies.ts': 'browser/cookies.ts',
  'version.ts': 'browser/node/version.ts',
  'request/served-schemes.ts': 'browser/served-schemes.ts',
  // What the browser controls: refused where it is given, never read from an environment.
  'session/tls.ts': 'browser/settings/tls.ts',
  'session/proxies.ts': 'browser/settings/proxies.ts',
  'netrc.ts': 'browser/settings/netrc.ts',
  'dns/resolver-spec.ts': 'browser/settings/resolver-spec.ts',
  'app/app.ts': 'browser/settings/app.ts',
  'app/app-carrier.ts': 'browser/settings/app-carrier.ts',
  'on-first-use.ts': 'browser/node/on-first-use.ts',
};
const builtins = {
  buffer: 'browser/node/buffer.ts',
  crypto: 'browser/node/crypto.ts',
  fs: 'browser/node/fs.ts',
  net: 'browser/node/net.ts',
  url: 'browser/node/url.ts',
  os: 'browser/node/misc.ts',
  path: 'browser/node/misc.ts',
  util: 'browser/node/misc.ts',
  v8: 'browser/node/v8.ts',
};

const browserSwaps = {
  name: 'nodequests-browser',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(buffer|crypto|fs|net|url|os|path|util|v8)$/ }, (args) => {
      return { path: src(builtins[args.path.replace(/^node:/, '')]) };
    });
    b.onResolve({ filter: /^chardet$/ }, () => ({ path: src('browser/node/chardet.ts') }));
    b.onResolve({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith('.') || !args.importer.startsWith(src(''))) return undefined;
      const target = fileURLToPath(new URL(args.path.replace(/\.js$/, '.ts'), `file://${args.importer}`));
      const rel = target.slice(src('').length);
      return swapped[rel] && !args.importer.startsWith(src('browser/')) ? { path: src(swapped[rel]) } : undefined;
    });
  },
};

export async function buildBrowser({ outfile = `${root}dist/browser/nodequests.js`, quiet = false } = {}) {
  const result = await build({
    entryPoints: [src('browser/index.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'none',
    plugins: [browserSwaps],
    inject: [src('browser/node/buffer-global.ts')],
    define: { __NODEQUESTS_VERSION__: JSON.stringify(version), 'process.env': '{}', 'process.platform': '"browser"' },
    logLevel: quiet ? 'error' : 'warning',
  });
  const code = readFileSync(outfile);
  const gzipped = gzipSync(code, { level: 9 }).length;
  if (!quiet) console.log(`browser: ${outfile.slice(root.length)} ${(code.length / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
  return { bytes: code.length, gzipped, metafile: result.metafile };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildBrowser();
}
