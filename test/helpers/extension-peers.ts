import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** test/fixtures/extension-peers.mjs in a child process, for the sync API's WebSocket and SSE tests. */
export async function startExtensionPeers(): Promise<{ port: number; close(): Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/extension-peers.mjs', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString()) as { port: number };
  return {
    port,
    async close() {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
