// The trivial Hono app of the app bench.
import { Hono } from 'hono';
export function make() {
  const app = new Hono();
  app.get('/', (c) => c.json({ hello: 'world' }));
  return app;
}
export const app = make();
export default app;
