/**
 * The peer of the extension suite, run in a worker thread (the sync API blocks the main
 * thread): a WebSocket server without compression on /echo (every message back) and /sink
 * (counts messages; the text `count?` is answered with the count so far), and an event
 * stream on /events?count=N (N small events, written as fast as the socket takes them).
 * Posts its port to the parent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 30 });
const event = 'id: 1\ndata: {"tick":1,"text":"an event of about sixty bytes"}\n\n';

const server = http.createServer((req, res) => {
  const count = Number(new URL(req.url!, 'http://x').searchParams.get('count') ?? 1000);
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let sent = 0;
  const pump = (): void => {
    // A few hundred events a write, as a busy stream's server would batch them.
    while (sent < count) {
      const n = Math.min(256, count - sent);
      sent += n;
      if (!res.write(event.repeat(n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
});
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    let received = 0;
    ws.on('message', (data, binary) => {
      if (req.url === '/echo') ws.send(data, { binary });
      else if (!binary && data.toString() === 'count?') ws.send(String(received));
      else received++;
    });
  });
});
server.listen(0, '127.0.0.1', () => parentPort!.postMessage((server.address() as AddressInfo).port));
parentPort!.on('message', () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
});
