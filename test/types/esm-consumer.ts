// An ES module consumer under --strict and exactOptionalPropertyTypes: what it writes must
// compile, with the types it expects; what it must not reach must not compile.
import nq, {
  AsyncResponse, AsyncSession, HTTPError, Response, Session, get, type HooksInit, type RequestOptions,
} from 'nodequests';
import { expectTypeOf } from 'expect-type';

export function sync(url: string): void {
  const r = get(url, { params: { q: 'x' }, timeout: { connect: 1_000, read: null } });
  expectTypeOf(r).toEqualTypeOf<Response>();
  expectTypeOf(r.history).toEqualTypeOf<Response[]>();
  expectTypeOf(r.history[0]?.text).toEqualTypeOf<string | null | undefined>();
  expectTypeOf(r.isRedirect).toEqualTypeOf<boolean>();
  expectTypeOf(r.isPermanentRedirect).toEqualTypeOf<boolean>();
  expectTypeOf(r.elapsed).toEqualTypeOf<number>();
  for (const chunk of r.iterContent(1024)) expectTypeOf(chunk).toEqualTypeOf<Buffer>();
  for (const chunk of r.iterContent(1024, true)) expectTypeOf(chunk).toEqualTypeOf<string>();
  for (const line of r.iterLines()) expectTypeOf(line).toEqualTypeOf<Buffer>();
  for (const line of r.iterLines({ decodeUnicode: true })) expectTypeOf(line).toEqualTypeOf<string>();
  try {
    r.raiseForStatus();
  } catch (err) {
    if (err instanceof HTTPError) {
      expectTypeOf(err.response).toEqualTypeOf<Response>();
      expectTypeOf(err.response.text).toEqualTypeOf<string | null>();
    }
  }
  // Internals are not part of the API.
  // @ts-expect-error settle is internal
  r.settle;
  // @ts-expect-error resolvedState is internal
  r.resolvedState;
}

export async function async(url: string): Promise<void> {
  await using s = new AsyncSession({ workers: 1 });
  const streamed = await s.get(url, { stream: true });
  expectTypeOf(streamed).toEqualTypeOf<AsyncResponse>();
  for await (const chunk of streamed.iterContent(null)) expectTypeOf(chunk).toEqualTypeOf<Buffer>();
  const whole = await s.get(url);
  expectTypeOf(whole).toEqualTypeOf<Response>();
  expectTypeOf(whole.history).toEqualTypeOf<Response[]>();
  for await (const item of s.map([url])) expectTypeOf(item.response).toEqualTypeOf<Response | undefined>();
  for await (const item of s.map([url], { stream: true })) expectTypeOf(item.response).toEqualTypeOf<AsyncResponse | undefined>();
}

export function hooks(): HooksInit {
  return {
    response: (r) => {
      expectTypeOf(r).toEqualTypeOf<Response | AsyncResponse>();
      if (r instanceof Response) console.log(r.text);
    },
  };
}

export function defaultExport(url: string): void {
  // The default export carries the whole API, as `requests` does.
  const s = new nq.Session();
  expectTypeOf(s).toEqualTypeOf<Session>();
  expectTypeOf(nq.get(url)).toEqualTypeOf<Response>();
  expectTypeOf(new nq.HTTPError('x')).toMatchTypeOf<Error>();
  expectTypeOf(nq.codes.ok).toEqualTypeOf<200>();
  // @ts-expect-error errorFromCode is internal
  nq.errorFromCode;
  s.close();
}

// exactOptionalPropertyTypes: an option left out is fine; undefined spelt out is not.
export const options: RequestOptions = { timeout: 5_000, allowRedirects: false };
// @ts-expect-error undefined is not a value of allowRedirects
export const bad: RequestOptions = { allowRedirects: undefined };
