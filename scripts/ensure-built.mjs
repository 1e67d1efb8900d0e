// Makes a fresh clone runnable: installs dependencies when they are missing and
// builds (`npm run build`) when the build is missing (or always, with --force).
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

if (!existsSync(`${root}/node_modules/.package-lock.json`)) {
  console.error('nodequests: installing dependencies (npm ci)…');
  run('npm ci --no-audit --no-fund');
}
if (process.argv.includes('--force') || !existsSync(`${root}/dist/src/index.js`)) {
  // The one build recipe, package.json's: its steps are not repeated here.
  run('npm run --silent build');
}
