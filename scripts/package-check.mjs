// `npm run test:package` (run by .ci/run): the package as a consumer gets it.
// 1. publint and @arethetypeswrong/cli (profile esm-only) find nothing wrong.
// 2. `npm pack` ships no benchmarks, and every source map's sources are in the tarball.
// 3. A fresh project installs the tarball (unpacked, its dependencies linked: no network),
//    and compiles, under --strict and exactOptionalPropertyTypes, then runs
//    the README's two consumer examples as written (ESM, and CommonJS with import()), against
//    a local server on 127.0.0.1 in place of the README's 127.0.0.1:8080.
// 4. Its workers start from the bundle of their modules (every file of a tarball has one date).
// Exits 1 with the first failure; every step has a time limit.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const work = mkdtempSync(join(tmpdir(), 'nq-consumer-'));

function run(command, args, cwd = root) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`${command} ${args.join(' ')} failed (${err.status ?? err.signal}):\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

function step(name, fn) {
  const t0 = Date.now();
  fn();
  console.log(`package: ${name} (${Date.now() - t0} ms)`);
}

/** The code block that follows `<!-- example: NAME -->` in the README. */
function readmeExample(name) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`ts\\n([^]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no example marked <!-- example: ${name} -->`);
  return m[1];
}

let server;
try {
  step('publint', () => run(bin('publint'), ['--strict']));
  step('attw', () => run(bin('attw'), ['--pack', '.', '--profile', 'esm-only']));

  let tarball;
  let modules;
  step('npm pack', () => {
    const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work]));
    tarball = join(work, info.filename);
    const files = new Set(info.files.map((f) => f.path));
    const bench = [...files].filter((f) => f.startsWith('dist/bench'));
    if (bench.length) throw new Error(`the tarball ships benchmarks: ${bench.slice(0, 3).join(', ')}`);
    for (const file of files) {
      if (!file.endsWith('.map')) continue;
      const map = JSON.parse(readFileSync(join(root, file), 'utf8'));
      for (const [i, source] of map.sources.entries()) {
        // A source whose text the map carries (a bundle's) needs no file beside it.
        if (typeof map.sourcesContent?.[i] === 'string') continue;
        const target = normalize(join(dirname(file), source));
        if (!files.has(target)) throw new Error(`${file} points to ${target}, which is not in the tarball`);
      }
    }
    console.log(`package: ${info.filename}: ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${info.entryCount} files`);
  });

  // Installed as npm would lay it out, without the network: the tarball unpacked into
  // node_modules/nodequests, and its dependencies linked from this checkout's node_modules
  // (the versions the lockfile pins).
  step('install the tarball in a fresh project', () => {
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { nodequests: `file:${tarball}` } }));
    modules = join(work, 'node_modules');
    mkdirSync(modules);
    run('tar', ['-xzf', tarball, '-C', modules]);
    renameSync(join(modules, 'package'), join(modules, 'nodequests'));
    const { dependencies } = JSON.parse(readFileSync(join(modules, 'nodequests', 'package.json'), 'utf8'));
    for (const dep of Object.keys(dependencies)) {
      mkdirSync(dirname(join(modules, dep)), { recursive: true });
      symlinkSync(join(root, 'node_modules', dep), join(modules, dep), 'dir');
    }
  });

  step('the installed package starts its workers from the bundle', () => {
    // npm gives every file of a tarball one date, so the bundle is never older than its inputs.
    const chooser = pathToFileURL(join(modules, 'nodequests', 'dist', 'src', 'engine', 'worker-file.js')).href;
    const chosen = run(process.execPath, ['--input-type=module', '-e', `console.log((await import('${chooser}')).transportWorkerFile().pathname)`]).trim();
    if (!chosen.endsWith('/nodequests/dist/workers/bundle/transport.js')) throw new Error(`the workers start from ${chosen}`);
  });

  const fixture = join(root, 'test', 'fixtures', 'test-server.mjs');
  server = spawn(process.execPath, [fixture], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    once(server.stdout, 'data'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('the test server did not start in 10 s')), 10_000)),
  ]);
  const url = `http://127.0.0.1:${JSON.parse(line.toString()).port}`;

  const compilerOptions = {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2024'],
    types: ['node'], typeRoots: [join(root, 'node_modules', '@types')],
    strict: true, exactOptionalPropertyTypes: true, skipLibCheck: false, outDir: 'out',
  };
  for (const [name, type, file, expected] of [
    ['esm', 'module', 'example.ts', [/^200 \{/m, /^HTTP error 404$/m, /^true$/m]],
    ['cjs', 'commonjs', 'example.cts', [/^200 \{/m]],
  ]) {
    step(`the README's ${name} example compiles and runs`, () => {
      const dir = join(work, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [file] }));
      writeFileSync(join(dir, file), readmeExample(name).replaceAll('http://127.0.0.1:8080', url));
      run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir]);
      const output = run(process.execPath, [join(dir, 'out', file.replace(/\.(c?)ts$/, '.$1js'))], dir);
      for (const pattern of expected) if (!pattern.test(output)) throw new Error(`the ${name} example printed:\n${output}\nexpected ${pattern}`);
    });
  }
  console.log('package: all good');
} catch (err) {
  console.error(`package: FAILED: ${err.message}`);
  process.exitCode = 1;
} finally {
  server?.stdin.end();
  rmSync(work, { recursive: true, force: true });
}
