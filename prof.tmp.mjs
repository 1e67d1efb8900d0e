import { AsyncSession } from './dist/src/index.js';
const { app } = await import('./bench/apps/' + (process.argv[2] ?? 'hono') + '-app.mjs');
const s = new AsyncSession({ app });
for (let i = 0; i < 2000; i++) (await s.get('/')).json();
const t0 = performance.now();
const N = 10000;
for (let i = 0; i < N; i++) (await s.get('/')).json();
console.log('us/req', ((performance.now() - t0) * 1000 / N).toFixed(1));
