/**
 * A processor thread: runs the `processor` functions of requests on their decoded bodies,
 * one call at a time, for the transport worker that started it. It is a thread of its own so
 * that a processor that never returns can be stopped (the transport worker terminates this
 * thread and starts another) without stopping the transport worker's sockets.
 */
import { parentPort } from 'node:worker_threads';
import { serialize } from 'node:v8';
import type { ProcessorCall, ProcessorReply } from '../src/channel/processor-call.js';

type Processor = (body: Uint8Array, response: ProcessorCall['response']) => unknown;

const loaded = new Map<string, Promise<Processor>>();

function load(spec: string): Promise<Processor> {
  let fn = loaded.get(spec);
  if (!fn) {
    const hash = spec.indexOf('#');
    const module = hash === -1 ? spec : spec.slice(0, hash);
    const name = hash === -1 ? 'default' : spec.slice(hash + 1);
    fn = import(module).then((m: Record<string, unknown>) => {
      const f = m[name];
      if (typeof f !== 'function') throw new TypeError(`${module} has no function export ${JSON.stringify(name)}`);
      return f as Processor;
    });
    loaded.set(spec, fn);
  }
  return fn;
}

async function run(call: ProcessorCall): Promise<unknown> {
  const specs = call.spec.split('\n');
  if (specs.length === 1) return (await load(specs[0]!))(call.body, call.response);
  const results = [];
  for (const spec of specs) results.push(await (await load(spec))(call.body, call.response));
  return results;
}

parentPort!.on('message', (call: ProcessorCall) => {
  run(call).then(
    (result) => {
      let reply: ProcessorReply;
      try {
        const bytes = serialize(result);
        reply = { ok: true, bytes };
      } catch (err) {
        reply = { ok: false, message: `its result cannot be cloned: ${(err as Error).message}` };
      }
      parentPort!.postMessage(reply, reply.ok ? [reply.bytes.buffer as ArrayBuffer] : []);
    },
    (err: unknown) => {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : `it threw ${String(err)}`;
      parentPort!.postMessage({ ok: false, message } satisfies ProcessorReply);
    },
  );
});
