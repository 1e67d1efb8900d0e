// The example consumers in this folder type-check against the built declarations under a
// strict consumer's settings (tsconfig.json here): `tsc --noEmit` must pass, and each
// `@ts-expect-error` in them must meet an error (an internal that became public again fails).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

it('the ESM and CommonJS example consumers compile under --strict and exactOptionalPropertyTypes', { timeout: 180_000 }, async () => {
  const result = await new Promise<{ code: number; output: string }>((resolve) => {
    // Watchdog: tsc that hangs is killed and the test fails with what it printed.
    execFile(process.execPath, [tsc, '-p', 'test/types/tsconfig.json'], { cwd: root, timeout: 170_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, output: `${stdout}${stderr}` });
    });
  });
  expect(result.output).toBe('');
  expect(result.code).toBe(0);
});
