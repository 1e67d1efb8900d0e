/**
 * A live progress line on stderr: redrawn in place on a terminal, printed now and then
 * otherwise (so logs stay readable).
 */
import type { CrawlStats } from './stats.js';
import { formatBytes } from './stats.js';

export class Progress {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #timer: NodeJS.Timeout;
  #lastPlain = 0;

  constructor(
    private readonly stats: CrawlStats,
    private readonly discovered: () => number,
    out: NodeJS.WriteStream = process.stderr,
  ) {
    this.#out = out;
    this.#tty = Boolean(out.isTTY);
    this.#timer = setInterval(() => this.draw(), this.#tty ? 100 : 1000);
    this.#timer.unref();
  }

  /** The line as it stands now. */
  line(width = 30): string {
    const done = this.stats.pages + this.stats.errorCount;
    const total = Math.max(done, this.discovered());
    const filled = total === 0 ? 0 : Math.round((done / total) * width);
    const rate = done / Math.max(0.001, this.stats.elapsedMs / 1000);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} pages  ${formatBytes(this.stats.bytes)}  ${Math.round(rate)} req/s  ${this.stats.errorCount} errors`;
  }

  draw(): void {
    if (this.#tty) this.#out.write(`\r${this.line()}\x1b[K`);
    else if (performance.now() - this.#lastPlain >= 1000) {
      this.#lastPlain = performance.now();
      this.#out.write(`${this.line()}\n`);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.draw();
    if (this.#tty) this.#out.write('\n');
  }
}
