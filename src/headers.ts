/**
 * A case-insensitive header map that remembers the case a name was first given in and
 * keeps repeated fields apart (so `Set-Cookie` survives), for requests, responses and
 * sessions alike.
 *
 * @example
 * ```ts
 * const h = new Headers({ 'Content-Type': 'text/plain' });
 * h.get('content-type'); // 'text/plain'
 * h.append('Vary', 'Accept'); h.append('vary', 'Origin');
 * h.get('VARY');           // 'Accept, Origin'
 * ```
 */
import { InvalidHeader, describe } from './errors.js';

/** Anything a user may give as headers. A `null` or `undefined` value means "remove". */
export type HeadersInit =
  | Headers
  | Record<string, string | number | readonly string[] | null | undefined>
  | Iterable<readonly [string, string | number | null | undefined]>;

// RFC 9110 token characters for names; values may not hold CR, LF or NUL.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
// Header bytes cross the wire as latin1; anything beyond it cannot be sent as given.
const NON_LATIN1 = /[^\u0000-\u00ff]/;

/** The map a Headers being made by {@link Headers.shared} takes instead of a new one. */
let adopting: Map<string, Entry> | null = null;

interface Entry {
  name: string;
  values: string[];
}

export class Headers implements Iterable<[string, string]> {
  #map = adopting ?? new Map<string, Entry>();
  /** The map is shared with another Headers ({@link shared}): copied before the first change. */
  #shared = false;
  #version = 0;
  #fields: readonly string[] | null = null;

  constructor(init?: HeadersInit | null) {
    if (init) this.update(init);
  }

  /** Checks a name and value the way they must be to go on the wire; throws `InvalidHeader`. */
  static validate(name: string, value: string): void {
    checkName(name);
    if (typeof value !== 'string' || BAD_VALUE.test(value) || NON_LATIN1.test(value)) {
      throw new InvalidHeader(
        `Invalid value for header ${JSON.stringify(name)}: ${describe(value)} (expected a string or number: latin1 text without CR, LF or NUL)`,
      );
    }
  }

  /** Sets each given header, replacing; a `null`/`undefined` value removes the name. */
  update(init: HeadersInit): this {
    for (const [name, value] of entriesOf(init)) {
      checkName(name);
      if (value === null || value === undefined) this.delete(name);
      else if (Array.isArray(value)) {
        this.delete(name);
        for (const v of value) this.append(name, asText(v));
      } else this.set(name, asText(value));
    }
    return this;
  }

  /**
   * Replaces fields with those of another Headers, which were validated when set there.
   * @internal
   */
  assignTrusted(other: Headers): this {
    const map = this.#own();
    for (const [key, e] of other.#map) {
      if (e.values.length === 0) continue;
      const mine = map.get(key);
      if (mine) mine.values = [...e.values];
      else map.set(key, { name: e.name, values: [...e.values] });
    }
    return this;
  }

  /**
   * A copy with the fields of `over` (validated when set there) in place of these: one
   * copy of each list, where `copy().assignTrusted(over)` would copy replaced ones twice.
   * @internal
   */
  copyWith(over: Headers): Headers {
    const out = new Headers();
    const map = out.#map;
    const overMap = over.#map;
    for (const [key, e] of this.#map) {
      const o = overMap.get(key);
      const values = o !== undefined && o.values.length > 0 ? o.values : e.values;
      if (values.length > 0) map.set(key, { name: e.name, values: values.slice() });
    }
    for (const [key, o] of overMap) {
      if (o.values.length > 0 && !map.has(key)) map.set(key, { name: o.name, values: o.values.slice() });
    }
    return out;
  }

  get(name: string): string | undefined {
    const e = this.#map.get(name.toLowerCase());
    return e ? e.values.join(', ') : undefined;
  }

  /** Every value of a repeated field, apart. */
  getAll(name: string): string[] {
    return [...(this.#map.get(name.toLowerCase())?.values ?? [])];
  }

  /** The `Set-Cookie` fields, each on its own (they cannot be joined with commas). */
  getSetCookie(): string[] {
    return this.getAll('set-cookie');
  }

  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }

  set(name: string, value: string): this {
    Headers.validate(name, value);
    const key = name.toLowerCase();
    const map = this.#own();
    const e = map.get(key);
    if (e) e.values = [value];
    else map.set(key, { name, values: [value] });
    return this;
  }

  append(name: string, value: string): this {
    Headers.validate(name, value);
    this.appendTrusted(name, value);
    return this;
  }

  /** Adds a field that came off the wire, which needs no validation. @internal */
  appendTrusted(name: string, value: string): void {
    const key = name.toLowerCase();
    const map = this.#own();
    const e = map.get(key);
    if (e) e.values.push(value);
    else map.set(key, { name, values: [value] });
  }

  delete(name: string): boolean {
    const key = name.toLowerCase();
    return this.#map.has(key) && this.#own().delete(key);
  }

  /**
   * A copy that shares these fields until either side changes (each then copies them first):
   * a request's headers are most often the session's, unchanged. @internal
   */
  shared(): Headers {
    adopting = this.#map;
    const out = new Headers();
    adopting = null;
    out.#shared = this.#shared = true;
    out.#fields = this.fields();
    return out;
  }

  /**
   * {@link flat}, for readers only: kept while the fields do not change, and handed on to
   * {@link shared} copies, so a request sent with the session's headers does not flatten
   * them again. @internal
   */
  fields(): readonly string[] {
    return (this.#fields ??= Object.freeze(this.flat()));
  }

  /** Moves on with every change: what was built from these fields knows when it is stale. @internal */
  get version(): number {
    return this.#version;
  }

  /** The map, to change: its own (copied if it was shared), and the version moved on. */
  #own(): Map<string, Entry> {
    this.#version++;
    this.#fields = null;
    if (this.#shared) {
      const copy = new Map<string, Entry>();
      for (const [key, e] of this.#map) copy.set(key, { name: e.name, values: e.values.slice() });
      this.#map = copy;
      this.#shared = false;
    }
    return this.#map;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Names in the case first given, values of repeated fields joined with ', '. */
  *entries(): IterableIterator<[string, string]> {
    for (const e of this.#map.values()) yield [e.name, e.values.join(', ')];
  }

  /** Every field as sent or received: repeated fields apart. */
  *rawEntries(): IterableIterator<[string, string]> {
    for (const e of this.#map.values()) for (const v of e.values) yield [e.name, v];
  }

  /** Every field as {@link rawEntries} gives them, flat: [name, value, name, value, …], the form undici takes. @internal */
  flat(): string[] {
    const out: string[] = [];
    for (const e of this.#map.values()) for (const v of e.values) out.push(e.name, v);
    return out;
  }

  keys(): IterableIterator<string> {
    return Array.from(this.#map.values(), (e) => e.name)[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  copy(): Headers {
    return new Headers().assignTrusted(this);
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.entries());
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Headers ${JSON.stringify(this.toJSON())}`;
  }
}

function entriesOf(init: HeadersInit): Iterable<readonly [string, unknown]> {
  if (init instanceof Headers) return init.rawEntries();
  if (typeof init === 'object' && init !== null) {
    return typeof (init as any)[Symbol.iterator] === 'function' ? pairsOf(init as Iterable<unknown>) : Object.entries(init);
  }
  throw new InvalidHeader(`Invalid headers ${describe(init)}: expected a record, a list of pairs or a Headers`);
}

function* pairsOf(entries: Iterable<unknown>): Iterable<readonly [string, unknown]> {
  for (const pair of entries) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new InvalidHeader(`Invalid headers entry ${describe(pair)}: expected a [name, value] pair`);
    yield pair as [string, unknown];
  }
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new InvalidHeader(`Invalid header name ${describe(name)}: expected an RFC 9110 token`);
  }
}

/** A header value as text: numbers are written out, anything else but a string is refused. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  // The value check names it; a string here would pass.
  return value as string;
}
