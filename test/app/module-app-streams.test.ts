import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOption, ReadTimeout, Session, type SyncServerSentEvents, type SyncWebSocket } from '../../dist/src/index.js';
import { withSyncWatchdog } from '../helpers/sync-watchdog.js';

// Event streams and WebSockets from the sync Session: the app is a module the transport
// workers load (this thread blocks, so it could not run one). Each worker has its own copy
// of the module, so what a test must reach twice goes to one origin (one worker).
const module = pathToFileURL(new URL('../fixtures/apps/streams-app.mjs', import.meta.url).pathname).href;
const run = <T>(name: string, what: string, work: (s: Session) => T, timeout = 5_000): T =>
  withSyncWatchdog(15_000, what, () => {
    const s = new Session({ app: `${module}#${name}`, timeout });
    try {
      return work(s);
    } finally {
      s.close();
    }
  });

// Sessions share their transport workers while any is open: one held for the whole file
// spares each test the start of a new pool of workers.
let keeper: Session;
beforeAll(() => {
  keeper = new Session({ app: `${module}#bare`, timeout: 5_000 });
  withSyncWatchdog(15_000, 'the keeper session', () => keeper.get('/release'));
});
afterAll(() => keeper.close());

describe.each(['server', 'bare', 'fetchApp'])('an event stream from the module app %s (Session)', (name) => {
  it('gives events as they come; a quiet stream raises ReadTimeout and stays usable', () => {
    run(name, 'sync event stream', (s) => {
      const events = s.get('psse://x/events').extension as SyncServerSentEvents;
      expect(events.kind).toBe('sse');
      expect(events.nextPayload()?.data).toBe('first');
      expect(() => events.nextPayload()).toThrow(ReadTimeout);
      expect(events.closed).toBe(false);
      expect(s.get('http://x/release').text).toBe('released');
      const second = events.nextPayload();
      expect([second?.event, second?.json()]).toEqual(['update', { n: 2 }]);
      expect(events.nextPayload()).toBeNull();
    }, 300);
  });
});

describe.each(['server', 'bare'])('a WebSocket to the module app %s (Session)', (name) => {
  it('carries a message each way and the close code both ways', () => {
    run(name, 'sync WebSocket', (s) => {
      const r = s.get('ws://x/chat', { headers: { 'X-Token': 't2' } });
      expect(r.statusCode).toBe(101);
      const ws = r.extension as SyncWebSocket;
      expect(ws.nextPayload()).toBe('hello x /chat t2');
      ws.sendPayload('hi');
      expect(ws.nextPayload()).toBe('echo hi');
      ws.sendPayload(new Uint8Array([7, 8]));
      expect(Buffer.from(ws.nextPayload() as Uint8Array)).toEqual(Buffer.from([7, 8]));
      ws.close(4001, 'bye from the test');
      expect(ws.closed).toBe(true);

      // The app records the close when its socket ends, which may be just after ours did.
      let seen = '';
      for (let i = 0; i < 50 && seen !== '{"code":4001,"reason":"bye from the test"}'; i++) {
        const probe = s.get('ws://x/probe').extension as SyncWebSocket;
        probe.nextPayload();
        probe.sendPayload('last-close');
        seen = String(probe.nextPayload());
        probe.close();
      }
      expect(seen).toBe('{"code":4001,"reason":"bye from the test"}');

      const theirs = s.get('ws://x/theirs').extension as SyncWebSocket;
      theirs.nextPayload();
      theirs.sendPayload('close 4002 app-bye');
      expect(theirs.nextPayload()).toBeNull();
      expect([theirs.closeCode, theirs.closeReason]).toEqual([4002, 'app-bye']);
    });
  });

  it('raises ReadTimeout when the app is quiet, and the socket stays usable; a refused upgrade is a plain response', () => {
    run(name, 'sync WebSocket read timeout', (s) => {
      const ws = s.get('ws://x/quiet').extension as SyncWebSocket;
      ws.nextPayload();
      ws.sendPayload('wait');
      expect(() => ws.nextPayload()).toThrow(ReadTimeout);
      expect(ws.closed).toBe(false);
      ws.sendPayload('go');
      expect(ws.nextPayload()).toBe('at last');
      ws.close();
      const refused = s.get('ws://x/refused');
      expect([refused.statusCode, refused.text, refused.extension]).toEqual([403, 'forbidden', null]);
    }, 300);
  });
});

describe('a module app that takes no WebSocket (Session)', () => {
  it('refuses one to a bare request listener or a fetch handler, naming what to pass instead', () => {
    run('app', 'refused by a listener', (s) => expect(() => s.get('ws://x/chat')).toThrow(/#app is a request listener, which has no upgrade handler/));
    run('fetchApp', 'refused by a fetch handler', (s) => expect(() => s.get('ws://x/chat')).toThrow(InvalidOption));
  });
});
