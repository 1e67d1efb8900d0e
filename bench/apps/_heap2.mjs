import { AsyncSession } from '../../dist/src/index.js';
import v8 from 'node:v8';
const { app } = await import('./hono-app.mjs');
const s = new AsyncSession({ app });
for (let i = 0; i < 5000; i++) await (await s.get('/')).json();
globalThis.gc?.();
v8.writeHeapSnapshot('/tmp/prof/h.heapsnapshot');
await s.close();
