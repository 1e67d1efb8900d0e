import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  url: string;
  rawUrl: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts test/fixtures/test-server.mjs in a child process: the sync API blocks this
 * thread, so its peer must live elsewhere.
 */
export async function startServerProcess(): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/test-server.mjs', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const { port, rawPort } = JSON.parse(line.toString()) as { port: number; rawPort: number };
  return {
    url: `http://127.0.0.1:${port}`,
    rawUrl: `http://127.0.0.1:${rawPort}`,
    port,
    async close() {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
