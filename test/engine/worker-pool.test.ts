import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../dist/src/engine/worker-pool.js';
import type { WorkerTask } from '../../dist/src/channel/worker-tasks.js';

const file = new URL('../fixtures/pool-worker.mjs', import.meta.url);
/** Tasks the stand-in worker knows besides the real ones. */
const task = (t: object): WorkerTask => t as WorkerTask;

describe('WorkerPool', () => {
  let pool: WorkerPool | null = null;
  const exits: Array<[number, number]> = [];
  const start = (maxThreads: number): WorkerPool => (pool = new WorkerPool({ file, workerData: null, maxThreads, onExit: (tid, code) => exits.push([tid, code]) }));
  afterEach(async () => {
    await pool?.destroy();
    exits.length = 0;
  });

  it('starts one thread, and more only for tasks sent while every thread is busy', async () => {
    const p = start(3);
    expect(p.threads).toHaveLength(1);
    expect(((await p.run(task({ op: 'stats' }))) as { threadId: number }).threadId).toBe(p.threads[0]!.threadId);
    expect(p.threads, 'one task at a time needs one thread').toHaveLength(1);
    const answers = (await Promise.all([0, 1, 2].map(() => p.run(task({ op: 'stats', ms: 50 }))))) as Array<{ threadId: number }>;
    expect(new Set(answers.map((a) => a.threadId)).size, 'three tasks at once, three threads').toBe(3);
    await p.run(task({ op: 'stats', ms: 0 }));
    expect(p.threads, 'never more than maxThreads').toHaveLength(3);
  });

  it('rejects with the worker\'s error, and a task whose thread exits, naming the code', async () => {
    const p = start(1);
    await expect(p.run(task({ op: 'fail' }))).rejects.toThrow(/task \d+ failed/);
    const tid = p.threads[0]!.threadId;
    await expect(p.run({ op: 'exit', code: 9 })).rejects.toThrow(`transport worker ${tid} exited with code 9`);
    expect(exits).toEqual([[tid, 9]]);
  });

  it('replaces a thread that exits: one at first, every one once grown', async () => {
    const p = start(2);
    await p.run({ op: 'exit', code: 3 }).catch(() => {});
    expect(p.threads, 'the first thread replaced').toHaveLength(1);
    p.grow();
    expect(p.threads).toHaveLength(2);
    const victim = p.threads[1]!.threadId;
    await p.threads[1]!.terminate();
    expect(exits.at(-1)![0]).toBe(victim);
    expect(p.threads, 'a grown pool keeps every thread').toHaveLength(2);
    expect(p.find(victim)).toBeUndefined();
    expect(((await p.run(task({ op: 'stats' }))) as { threadId: number }).threadId).not.toBe(victim);
  });

  it('after destroy, stops every thread, replaces none and refuses tasks', async () => {
    const p = start(2);
    p.grow();
    await p.destroy();
    expect(p.threads).toEqual([]);
    expect(exits).toHaveLength(2);
    await expect(p.run({ op: 'stats' })).rejects.toThrow(/shut down/);
  });
});
