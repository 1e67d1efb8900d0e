import { describe, expect, it } from 'vitest';
import { codes, reasonPhrase } from '../dist/src/status-codes.js';

describe('codes', () => {
  it('has Requests names in snake_case, camelCase and UPPER_CASE', () => {
    expect(codes.ok).toBe(200);
    expect(codes.OK).toBe(200);
    expect(codes.okay).toBe(200);
    expect(codes.not_found).toBe(404);
    expect(codes.notFound).toBe(404);
    expect(codes.NOT_FOUND).toBe(404);
    expect(codes.teapot).toBe(418);
    expect(codes.im_a_teapot).toBe(418);
    expect(codes.imATeapot).toBe(418);
    expect(codes.i_am_a_teapot).toBe(418);
    expect(codes.temporary_redirect).toBe(307);
    expect(codes.permanent_redirect).toBe(308);
    expect(codes.resume).toBe(308);
    expect(codes.moved).toBe(301);
    expect(codes.too_many_requests).toBe(429);
    expect(codes.tooManyRequests).toBe(429);
    expect(codes.internal_server_error).toBe(500);
    expect(codes.server_error).toBe(500);
    expect(codes.request_uri_too_long).toBe(122);
    expect(codes.precondition).toBe(428);
    expect(codes.checkpoint).toBe(103);
    expect(codes.none).toBe(444);
    expect(codes.client_closed_request).toBe(499);
    expect(codes.bandwidth_limit_exceeded).toBe(509);
  });

  it("has Requests' emoticons", () => {
    expect(codes['\\o/']).toBe(200);
    expect(codes['✓']).toBe(200);
    expect(codes['-o-']).toBe(404);
    expect(codes['/o\\']).toBe(500);
    expect(codes['✗']).toBe(500);
    expect(codes['\\o-']).toBe(301);
  });

  // The IANA HTTP Status Code Registry, every assigned code with its name.
  const IANA: [number, string][] = [
    [100, 'Continue'], [101, 'Switching Protocols'], [102, 'Processing'], [103, 'Early Hints'],
    [200, 'OK'], [201, 'Created'], [202, 'Accepted'], [203, 'Non-Authoritative Information'], [204, 'No Content'],
    [205, 'Reset Content'], [206, 'Partial Content'], [207, 'Multi-Status'], [208, 'Already Reported'], [226, 'IM Used'],
    [300, 'Multiple Choices'], [301, 'Moved Permanently'], [302, 'Found'], [303, 'See Other'], [304, 'Not Modified'],
    [305, 'Use Proxy'], [307, 'Temporary Redirect'], [308, 'Permanent Redirect'],
    [400, 'Bad Request'], [401, 'Unauthorized'], [402, 'Payment Required'], [403, 'Forbidden'], [404, 'Not Found'],
    [405, 'Method Not Allowed'], [406, 'Not Acceptable'], [407, 'Proxy Authentication Required'], [408, 'Request Timeout'],
    [409, 'Conflict'], [410, 'Gone'], [411, 'Length Required'], [412, 'Precondition Failed'], [413, 'Content Too Large'],
    [414, 'URI Too Long'], [415, 'Unsupported Media Type'], [416, 'Range Not Satisfiable'], [417, 'Expectation Failed'],
    [421, 'Misdirected Request'], [422, 'Unprocessable Content'], [423, 'Locked'], [424, 'Failed Dependency'],
    [425, 'Too Early'], [426, 'Upgrade Required'], [428, 'Precondition Required'], [429, 'Too Many Requests'],
    [431, 'Request Header Fields Too Large'], [451, 'Unavailable For Legal Reasons'],
    [500, 'Internal Server Error'], [501, 'Not Implemented'], [502, 'Bad Gateway'], [503, 'Service Unavailable'],
    [504, 'Gateway Timeout'], [505, 'HTTP Version Not Supported'], [506, 'Variant Also Negotiates'],
    [507, 'Insufficient Storage'], [508, 'Loop Detected'], [510, 'Not Extended'], [511, 'Network Authentication Required'],
  ];

  it.each(IANA)('names %i (%s) in every spelling and gives its reason phrase', (code, phrase) => {
    const snake = phrase.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
    const camel = snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const table = codes as unknown as Record<string, number>;
    expect(table[snake]).toBe(code);
    expect(table[camel]).toBe(code);
    expect(table[snake.toUpperCase()]).toBe(code);
    expect(reasonPhrase(code)).toBe(phrase);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(codes)).toBe(true);
    expect(() => {
      (codes as unknown as Record<string, number>).ok = 1;
    }).toThrow(TypeError);
    expect(codes.ok).toBe(200);
  });

  it('gives every camelCase name the same code as its snake_case one', () => {
    const table = codes as unknown as Record<string, number>;
    for (const [name, code] of Object.entries(table)) {
      if (!name.includes('_') || name !== name.toLowerCase()) continue;
      const camel = name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      expect(table[camel], camel).toBe(code);
    }
  });
});

describe('reasonPhrase', () => {
  it('knows the teapot and the non-standard codes Requests names', () => {
    expect(reasonPhrase(418)).toBe("I'm a Teapot");
    expect(reasonPhrase(509)).toBe('Bandwidth Limit Exceeded');
  });

  it("is '' for a code without a standard phrase", () => {
    expect(reasonPhrase(299)).toBe('');
    expect(reasonPhrase(0)).toBe('');
  });
});
