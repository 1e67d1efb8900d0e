import { describe, expect, it } from 'vitest';
import { helpText } from '../../dist/src/cli/help-command.js';

describe('nodequests --help', () => {
  const text = helpText([['doctor', { usage: 'nodequests doctor   what this install supports' }]]);

  it('names every WebSocket and event stream scheme the request command opens', () => {
    for (const scheme of ['ws://', 'wss://', 'ws+unix://', 'wss+rfc8441://', 'sse://', 'psse://', 'psse+unix://']) {
      expect(text).toContain(` ${scheme}`);
    }
  });

  it('says that get wss://… converses: stdin lines go out, messages come out on stdout', () => {
    expect(text).toMatch(/nodequests get wss:\/\/\S* converses, sending each line of stdin\s+as a text message/);
    expect(text).toMatch(/printing each message on\s+stdout/);
    // Before the commands, after the request command's own help.
    expect(text.indexOf('WebSockets and event streams')).toBeGreaterThan(text.indexOf('exit status:'));
    expect(text.indexOf('WebSockets and event streams')).toBeLessThan(text.indexOf('commands:\n  nodequests doctor'));
  });
});
