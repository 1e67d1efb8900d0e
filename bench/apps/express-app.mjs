// The trivial Express app of the app bench (a module, so the transport workers can load it
// too). Each client gets its own instance: light-my-request rewires the prototypes of the
// Express app it is given to its own request and response classes.
import express from 'express';
export function make() {
  const app = express();
  app.get('/', (req, res) => res.json({ hello: 'world' }));
  return app;
}
export const app = make();
export default app;
