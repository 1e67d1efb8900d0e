import { TextDecoder } from 'node:util';
/**
 * Cutting a body that arrives in arbitrary pieces into the pieces a reader asked for:
 * fixed-size chunks (optionally decoded to text) or lines. Shared by the sync and async
 * responses, which differ only in how they wait for the next piece.
 */

/** Re-cuts arriving chunks to `chunkSize` bytes (`null`: as they come), optionally as text. */
export class Rechunker {
  readonly #size: number | null;
  readonly #decoder: TextDecoder | null;
  #pending: Buffer = Buffer.alloc(0);

  constructor(chunkSize: number | null, encoding: string | null) {
    this.#size = chunkSize;
    this.#decoder = encoding ? new TextDecoder(encoding) : null;
  }

  push(chunk: Buffer): Array<Buffer | string> {
    if (this.#size === null) return [this.#out(chunk)];
    const out: Array<Buffer | string> = [];
    let pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    while (pending.length >= this.#size) {
      out.push(this.#out(pending.subarray(0, this.#size)));
      pending = pending.subarray(this.#size);
    }
    this.#pending = pending;
    return out;
  }

  end(): Array<Buffer | string> {
    const out: Array<Buffer | string> = this.#pending.length ? [this.#out(this.#pending)] : [];
    const tail = this.#decoder?.decode();
    if (tail) out.push(tail);
    return out;
  }

  #out(piece: Buffer): Buffer | string {
    return this.#decoder ? this.#decoder.decode(piece, { stream: true }) : piece;
  }
}

/**
 * Splits chunks into lines. A line cut across two chunks comes out whole; with the default
 * delimiter a trailing CR is dropped (CRLF endings).
 */
export class LineSplitter {
  readonly #delim: Buffer;
  readonly #crlf: boolean;
  readonly #decoder: TextDecoder | null;
  #pending: Buffer = Buffer.alloc(0);

  constructor(delimiter: string | undefined, encoding: string | null) {
    this.#delim = Buffer.from(delimiter ?? '\n');
    this.#crlf = delimiter === undefined;
    this.#decoder = encoding ? new TextDecoder(encoding) : null;
  }

  /** The lines completed by `chunk`. */
  push(chunk: Buffer): Array<string | Buffer> {
    const lines: Array<string | Buffer> = [];
    let pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    let at: number;
    while ((at = pending.indexOf(this.#delim)) !== -1) {
      lines.push(this.#out(pending.subarray(0, at)));
      pending = pending.subarray(at + this.#delim.length);
    }
    this.#pending = pending;
    return lines;
  }

  /** The last line, if the body did not end with a delimiter. */
  end(): Array<string | Buffer> {
    return this.#pending.length ? [this.#out(this.#pending)] : [];
  }

  #out(line: Buffer): string | Buffer {
    const trimmed = this.#crlf && line.length && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
    return this.#decoder ? this.#decoder.decode(trimmed) : Buffer.from(trimmed);
  }
}
