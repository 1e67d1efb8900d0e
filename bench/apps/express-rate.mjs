// One client of the trivial Express app, alone in this process: prints its requests/s over
// SECONDS after a 1 s warm-up, as JSON. The app bench runs nodequests and light-my-request
// this way, alternating, so neither inherits the other's heap, JIT state or threads (and
// light-my-request's rewiring of Express's prototypes touches no one else).
//   node bench/apps/express-rate.mjs nodequests|light-my-request SECONDS
import inject from 'light-my-request';
import { rate } from '../../dist/bench/stats.js';
import { AsyncSession } from '../../dist/src/index.js';
import { make } from './express-app.mjs';

const [client, seconds] = [process.argv[2], Number(process.argv[3] ?? 1)];
const app = make();
const session = new AsyncSession({ app });
const call = client === 'light-my-request' ? async () => (await inject(app, { url: '/' })).json() : async () => (await session.get('/')).json();
await rate(1000, call);
console.log(JSON.stringify({ rate: await rate(seconds * 1000, call) }));
await session.close();
