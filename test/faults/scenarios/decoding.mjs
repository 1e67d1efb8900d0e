// Big compressed bodies read by many requests at once, sync or async, whole or streamed,
// by a fast or a slow consumer (see backpressure.test.ts). Returns each body's sha256.
import { createHash } from 'node:crypto';
import { AsyncSession, Session } from '../../../dist/src/index.js';

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread, as a sync consumer busy with something else would. */
const sleepSync = (ms) => Atomics.wait(pause, 0, 0, ms);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const STREAM_CHUNK = 64 * 1024;
const SLOW_CHUNK = 16 * 1024;

export default async function decoding({ api, urls, workers, read, caPath }, progress) {
  const slow = read.endsWith('-slow');
  const opts = { workers, verify: caPath };
  return api === 'async' ? readAsync(urls, opts, read, slow, progress) : readSync(urls, opts, read, slow, progress);
}

async function readAsync(urls, opts, read, slow, progress) {
  const s = new AsyncSession(opts);
  try {
    return await readEachAsync(s, urls, read, slow, progress);
  } finally {
    await s.close();
  }
}

async function readEachAsync(s, urls, read, slow, progress) {
  progress(`async ${read}: ${urls.length} requests`);
  if (read.startsWith('whole')) {
    // A slow whole-body consumer is a main thread busy elsewhere: nothing drains the rings
    // for 20 ms out of every 25.
    const busy = slow ? setInterval(() => sleepSync(20), 25) : null;
    try {
      return await Promise.all(
        urls.map(async (url, i) => {
          const r = await s.get(url);
          progress(`response ${i} whole`);
          return digest(url, r.httpVersion, [r.content]);
        }),
      );
    } finally {
      clearInterval(busy);
    }
  }
  return Promise.all(
    urls.map(async (url, i) => {
      const r = await s.get(url, { stream: true });
      const hash = createHash('sha256');
      let length = 0;
      for await (const chunk of r.iterContent(slow ? SLOW_CHUNK : STREAM_CHUNK)) {
        hash.update(chunk);
        length += chunk.length;
        if (slow) await sleep(1);
      }
      progress(`response ${i} streamed`);
      return { url, httpVersion: r.httpVersion, length, sha256: hash.digest('hex') };
    }),
  );
}

function readSync(urls, opts, read, slow, progress) {
  if (read.startsWith('whole')) {
    // Lazy responses gathered at once, as a crawler would; a slow consumer leaves them
    // filling the rings for a while before it gathers.
    const s = new Session({ ...opts, multiplexed: true });
    try {
      progress(`sync ${read}: ${urls.length} lazy requests`);
      const rs = urls.map((url) => s.get(url));
      if (slow) sleepSync(300);
      progress('gathering');
      s.gather();
      return rs.map((r, i) => digest(urls[i], r.httpVersion, [r.content]));
    } finally {
      s.close();
    }
  }
  // Streams read in turn, a chunk of each: every window open at once, more than a ring holds.
  const s = new Session(opts);
  try {
    progress(`sync ${read}: ${urls.length} streams`);
    const rs = urls.map((url) => s.get(url, { stream: true }));
    const readers = rs.map((r, i) => ({ url: urls[i], httpVersion: r.httpVersion, chunks: r.iterContent(slow ? SLOW_CHUNK : STREAM_CHUNK), hash: createHash('sha256'), length: 0, done: false }));
    for (let open = readers.length; open > 0; ) {
      for (const [i, reader] of readers.entries()) {
        if (reader.done) continue;
        const next = reader.chunks.next();
        if (next.done) {
          reader.done = true;
          open--;
          progress(`stream ${i} done`);
          continue;
        }
        reader.hash.update(next.value);
        reader.length += next.value.length;
        if (slow) sleepSync(1);
      }
    }
    return readers.map((r) => ({ url: r.url, httpVersion: r.httpVersion, length: r.length, sha256: r.hash.digest('hex') }));
  } finally {
    s.close();
  }
}

function digest(url, httpVersion, chunks) {
  const hash = createHash('sha256');
  let length = 0;
  for (const c of chunks) {
    hash.update(c);
    length += c.length;
  }
  return { url, httpVersion, length, sha256: hash.digest('hex') };
}
