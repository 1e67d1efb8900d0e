import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nq, { get, aget } from '../dist/src/index.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const run = promisify(execFile);
const indexUrl = new URL('../dist/src/index.js', import.meta.url).href;
let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess();
});
afterAll(() => server.close());

/**
 * Runs a script in a fresh process (killed after 15 s) and returns its output and how long
 * it took to exit after its last line of output: Node's start-up and the worker pool's boot
 * are not what these tests are about. The script ends its output with `done()`, which
 * prints the wall-clock time (both processes share it).
 */
async function script(code: string, node: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<{ out: string; ms: number }> {
  const args = [...(node.args ?? []), '--input-type=module', '-e', `const done = () => console.log('@' + Date.now()); ${code}`];
  const { stdout } = await run(process.execPath, args, { timeout: 15_000, env: { ...process.env, ...node.env } });
  const exited = Date.now();
  const lines = stdout.trim().split('\n');
  const doneAt = Number(lines.pop()!.slice(1));
  return { out: lines.join('\n'), ms: exited - doneAt };
}

describe('one-shot helpers', () => {
  it('get() and aget() work on shared default sessions', async () => {
    expect(get(`${server.url}/status/202`).statusCode).toBe(202);
    expect((await aget(`${server.url}/status/203`)).statusCode).toBe(203);
    expect(nq.delete).toBe(nq.del);
    expect(nq.get(`${server.url}/echo`, { headers: { a: 'b' } }).json()).toMatchObject({ method: 'GET' });
  });

  it('each call is on its own: a cookie one call is given is not sent by the next (sync and async)', async () => {
    expect(get(`${server.url}/repeated`).cookies.get('a')).toBe('1');
    expect(get(`${server.url}/echo`).json()).not.toHaveProperty('headers.cookie');
    expect((await aget(`${server.url}/repeated`)).cookies.get('b')).toBe('2');
    expect((await aget(`${server.url}/echo`)).json()).not.toHaveProperty('headers.cookie');
    // Within one call, a cookie set on a redirect goes along to its target.
    const hop = `${server.url}/redirect-to?url=/echo`;
    expect((get(hop).json() as { headers: { cookie: string } }).headers.cookie).toBe('hop=1');
    expect(((await aget(hop)).json() as { headers: { cookie: string } }).headers.cookie).toBe('hop=1');
    expect(get(`${server.url}/echo`).json()).not.toHaveProperty('headers.cookie');
  });

  it('a script that calls get() and never closes exits promptly', async () => {
    const { out, ms } = await script(`import { get } from '${indexUrl}'; console.log(get('${server.url}/status/200').statusCode); done();`);
    expect(out).toBe('200');
    // A process held open by a keep-alive connection would stay for its timeout (4 s and more).
    expect(ms).toBeLessThan(3000);
  });

  it('a script that awaits aget() and never closes exits promptly', async () => {
    const { out, ms } = await script(`import { aget, AsyncSession } from '${indexUrl}';
      console.log((await aget('${server.url}/status/201')).statusCode);
      const s = new AsyncSession({ multiplexed: true }); await s.get('${server.url}/status/204'); await s.gather(); done();`);
    expect(out).toBe('201');
    expect(ms).toBeLessThan(3000);
  });

  it('a script with a request still in flight waits for it, then exits', async () => {
    const { out, ms } = await script(`import { aget } from '${indexUrl}';
      aget('${server.url}/delay/700').then((r) => { console.log(r.text); done(); });`);
    // The request in flight kept the process alive until it finished; then it exited.
    expect(out).toBe('delayed 700');
    expect(ms).toBeLessThan(3000);
  });

  it('a one-shot get() loads neither the cookie parser nor ws on the main thread, nor all of undici in the worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nq-modules-'));
    const log = join(dir, 'modules.log');
    try {
      const { out } = await script(`import { get } from '${indexUrl}'; console.log(get('${server.url}/status/200').statusCode); done();`, {
        args: ['--require', fileURLToPath(new URL('./fixtures/module-log.cjs', import.meta.url))],
        env: { NQ_MODULE_LOG: log },
      });
      expect(out).toBe('200');
      const loaded = readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split('\t') as [string, string]);
      const onMain = loaded.filter(([thread]) => thread === '0').map(([, file]) => file);
      const inWorkers = loaded.filter(([thread]) => thread !== '0').map(([, file]) => file);
      // The log does see both threads: the hook itself on the main one, undici's pool in the worker.
      expect(onMain.some((f) => f.endsWith('/fixtures/module-log.cjs'))).toBe(true);
      expect(inWorkers.some((f) => f.endsWith('/node_modules/undici/lib/dispatcher/pool.js'))).toBe(true);
      expect(onMain.filter((f) => /\/node_modules\/(tough-cookie|tldts[^/]*|ws|chardet|undici)\//.test(f))).toEqual([]);
      expect(inWorkers.filter((f) => /\/node_modules\/(ws|socks|fzstd|dns-packet|hdr-histogram-js)\/|\/undici\/index\.js$|\/undici\/lib\/(web|cache|mock)\//.test(f))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
