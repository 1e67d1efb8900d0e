/**
 * A request body arriving in REQUEST_BODY frames, handed to undici as an async iterable.
 *
 * The main thread may run at most UPLOAD_WINDOW (channel/windows.ts) bytes ahead; each chunk undici pulls is
 * acknowledged with UPLOAD_CREDIT, so a slow server pauses the producer on the main thread
 * instead of filling this worker's memory.
 */
export class UploadSource implements AsyncIterable<Buffer> {
  readonly #chunks: Buffer[] = [];
  #ended = false;
  #failed: Error | null = null;
  #wake: (() => void) | null = null;
  readonly #onConsumed: (bytes: number) => void;

  constructor(onConsumed: (bytes: number) => void) {
    this.#onConsumed = onConsumed;
  }

  push(chunk: Buffer, last: boolean): void {
    if (chunk.length > 0) this.#chunks.push(chunk);
    if (last) this.#ended = true;
    this.#wake?.();
  }

  fail(err: Error): void {
    this.#failed = err;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.#failed) throw this.#failed;
      const chunk = this.#chunks.shift();
      if (chunk) {
        yield chunk;
        // Resumed: undici has written the chunk, so the producer may send that much more.
        this.#onConsumed(chunk.length);
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}
