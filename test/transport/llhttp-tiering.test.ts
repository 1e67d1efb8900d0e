import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tiering = new URL('../../dist/src/transport/llhttp-tiering.js', import.meta.url).href;
const undici = new URL('../../node_modules/undici/index.js', import.meta.url).href;
const onNode20 = process.versions.v8.startsWith('11.3.');

describe("undici's parser, compiled first with a larger tier-up budget (Node 20)", () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  /** How many llhttp functions V8 optimised in a process that made `requests` requests with undici. */
  async function optimised(requests: number, primed: boolean): Promise<number> {
    const code = `${primed ? `(await import('${tiering}')).primeLlhttp();` : ''}
      const { request } = await import('${undici}');
      for (let i = 0; i < ${requests}; i++) await (await request('${url}')).body.text();`;
    const { stdout } = await run(process.execPath, ['--trace-wasm-compilation-times', '--input-type=module', '-e', code], { timeout: 20_000 });
    return stdout.split('\n').filter((line) => line.includes('using TurboFan')).length;
  }

  it('a process that parses one response never starts optimising the parser, which its exit would wait for', async () => {
    expect(await optimised(1, true)).toBe(0);
    // What it prevents: Node 20's budget is spent by the first response.
    if (onNode20) expect(await optimised(1, false)).toBeGreaterThan(0);
  });

  it('a busy process still gets the optimised parser', async () => {
    expect(await optimised(2000, true)).toBeGreaterThan(0);
  });

  it("leaves V8's flags as they were, so Node's built-in modules still load from their code cache", async () => {
    const code = `const v8 = await import('node:v8'); const before = v8.cachedDataVersionTag();
      (await import('${tiering}')).primeLlhttp();
      console.log(before === v8.cachedDataVersionTag());`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { timeout: 20_000 });
    expect(stdout.trim()).toBe('true');
  });
});
