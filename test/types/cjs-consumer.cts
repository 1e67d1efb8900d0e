// A CommonJS consumer: the package is ESM, so it is loaded with import(), which TypeScript
// keeps as import() in a .cts file; its types come the same way.
import type { Response } from 'nodequests' with { 'resolution-mode': 'import' };
import { expectTypeOf } from 'expect-type';

export async function main(url: string): Promise<number> {
  const nq = await import('nodequests');
  const r = await nq.aget(url);
  expectTypeOf(r).toEqualTypeOf<Response>();
  using s = new nq.default.Session();
  return s.get(url).statusCode + r.statusCode;
}
