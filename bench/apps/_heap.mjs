import { AsyncSession } from '../../dist/src/index.js';
import v8 from 'node:v8';
const { make } = await import('./express-app.mjs');
const s = new AsyncSession({ app: make() });
for (let i = 0; i < 5000; i++) await (await s.get('/')).json();
globalThis.gc?.();
const f = v8.writeHeapSnapshot('/tmp/prof/h.heapsnapshot');
await s.close();
