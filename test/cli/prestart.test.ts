import { describe, expect, it } from 'vitest';
import { startsTransport } from '../../dist/src/cli/prestart.js';

describe('which command lines start the transport worker before the command loads', () => {
  it('a request does, in any of its forms', () => {
    expect(startsTransport(['http://127.0.0.1:8080/'])).toBe(true);
    expect(startsTransport(['POST', ':8080/users', 'name=ann'])).toBe(true);
    expect(startsTransport(['-v', 'example.test'])).toBe(true);
  });

  it('help, the version, the doctor and the jobs do not, nor an empty command line', () => {
    for (const argv of [[], ['help'], ['--help'], ['-h'], ['version'], ['--version'], ['doctor'], ['crawl', '--demo'], ['load', 'http://x/']]) {
      expect(startsTransport(argv)).toBe(false);
    }
  });
});
