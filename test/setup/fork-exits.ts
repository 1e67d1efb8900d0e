/**
 * Says how a crashed test fork ended, and which test file it was running: vitest itself
 * reports only "Worker exited unexpectedly" and lists the lost file's tests as pending. The
 * signal or exit code tells an abort (a failed check in native code) from a segfault or a
 * kill. Used twice: as vitest's global setup (its own process, which sees every fork exit)
 * and as a setup file (in each fork, before its test file: it notes which file that is).
 * The line goes to stderr and, when NODEQUESTS_FORK_EXITS names a file, is appended to it.
 */
import { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

const REGISTRY = 'NODEQUESTS_FORK_FILES';
const PATCHED = Symbol.for('nodequests.forkExits');

// In a fork: note which file this process runs.
if (process.send !== undefined && process.env[REGISTRY]) {
  appendFileSync(process.env[REGISTRY], `${process.pid}\t${expect.getState().testPath ?? '?'}\n`);
}

function fileOf(pid: number | undefined): string {
  try {
    const lines = readFileSync(process.env[REGISTRY]!, 'utf8').split('\n').filter((l) => l.startsWith(`${pid}\t`));
    return lines.at(-1)?.split('\t')[1] ?? 'an unknown file';
  } catch {
    return 'an unknown file';
  }
}

export default function setup(): (() => void) | void {
  const proto = ChildProcess.prototype as ChildProcess & { [PATCHED]?: true };
  if (proto[PATCHED]) return; // one global setup per vitest project
  proto[PATCHED] = true;
  const dir = mkdtempSync(join(tmpdir(), 'nodequests-forks-'));
  process.env[REGISTRY] = join(dir, 'files');
  // vitest ends every fork with kill() (SIGTERM) once its file is done: not a crash.
  const stopped = new WeakSet<ChildProcess>();
  const kill = proto.kill;
  proto.kill = function (this: ChildProcess, ...args: Parameters<ChildProcess['kill']>): boolean {
    stopped.add(this);
    return kill.apply(this, args);
  };
  const emit = proto.emit;
  proto.emit = function (this: ChildProcess, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'exit' && !stopped.has(this)) {
      const [code, signal] = args as [number | null, NodeJS.Signals | null];
      if (signal !== null || (code !== 0 && code !== null)) {
        const line = `vitest fork ${this.pid} running ${fileOf(this.pid)} exited with ${signal !== null ? `signal ${signal}` : `code ${code}`}`;
        process.stderr.write(`\n${line}\n`);
        if (process.env.NODEQUESTS_FORK_EXITS) appendFileSync(process.env.NODEQUESTS_FORK_EXITS, line + '\n');
      }
    }
    return emit.call(this, event, ...args);
  };
  return () => rmSync(dir, { recursive: true, force: true });
}
