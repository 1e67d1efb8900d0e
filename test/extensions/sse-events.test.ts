import { describe, expect, it } from 'vitest';
import { SseEvents } from '../../dist/src/extensions/sse-events.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Feeds `text` cut at every position in turn, and collects the events each time. */
function everyCut(text: string, raw: boolean): Array<Array<string | object>> {
  const whole = bytes(text);
  const results: Array<Array<string | object>> = [];
  for (let cut = 0; cut <= whole.length; cut++) {
    const events = new SseEvents();
    const out: Array<string | object> = [];
    for (const part of [whole.subarray(0, cut), whole.subarray(cut)]) {
      events.push(part);
      for (let e = events.next(raw); e !== null; e = events.next(raw)) out.push(typeof e === 'string' ? e : { ...e });
    }
    events.end();
    for (let e = events.next(raw); e !== null; e = events.next(raw)) out.push(typeof e === 'string' ? e : { ...e });
    results.push(out);
  }
  return results;
}

describe('SseEvents', () => {
  it('gives the same events wherever the bytes are cut (CRLF, CR, multi-byte UTF-8)', () => {
    const text = 'data: é€\r\n\r\nevent: t\rdata: a\rdata: b\r\rid: 5\ndata: x\n\n';
    const expected = [
      { id: null, event: 'message', data: 'é€', retry: null },
      { id: null, event: 't', data: 'a\nb', retry: null },
      { id: '5', event: 'message', data: 'x', retry: null },
    ];
    for (const got of everyCut(text, false)) expect(got).toEqual(expected);
    for (const got of everyCut(text, true)) expect(got).toEqual(['data: é€', 'event: t\ndata: a\ndata: b', 'id: 5\ndata: x']);
  });

  it('skips blocks that dispatch nothing, keeps the last id, and drops an unterminated event at the end', () => {
    const events = new SseEvents();
    events.push(bytes(': comment\n\nid: 7\n\nretry: 100\n\ndata: one\n\nid: bad\0id\ndata: two\n\ndata: cut'));
    events.end();
    const one = events.next(false)!;
    expect([one.id, one.data, one.retry]).toEqual(['7', 'one', null]);
    expect(events.next(false)!.id).toBe('7');
    expect(events.next(false)).toBeNull();
    expect(events.lastEventId).toBe('7');
  });

  it('json() parses the data', () => {
    const events = new SseEvents();
    events.push(bytes('data: {"a":\ndata: [1,2]}\n\n'));
    expect(events.next(false)!.json()).toEqual({ a: [1, 2] });
  });
});
