/**
 * loopwatch's own log lines: the watchdog's (one per stall, hangs) and the promise findings' (on
 * the main thread), each rate-limited, with suppression notices. Written synchronously with
 * fs.writeSync: a worker's console output is relayed through the main thread, which prints nothing
 * while it is blocked, and blocked is exactly when the watchdog needs to speak.
 */
import * as fs from 'node:fs';
import { RateLimiter } from './rate-limiter';
import type { LogFormat } from './options';
import { nowMs as clockMs } from './clock';

export interface LogFields {
  [key: string]: string | number | boolean | null | undefined;
}

/** Lines the rate limit swallowed that no notice has told yet. */
export interface SuppressedCount {
  add(): void;
  /** The count, reset to zero: whoever takes it tells it. */
  take(): number;
}

export function localCount(): SuppressedCount {
  let count = 0;
  return {
    add: () => void (count += 1),
    take: () => {
      const taken = count;
      count = 0;
      return taken;
    },
  };
}

/** The count in shared memory, for two threads that may tell it (see SUPPRESSED_LINES_INDEX). */
export function sharedCount(view: Int32Array, index: number): SuppressedCount {
  return { add: () => void Atomics.add(view, index, 1), take: () => Atomics.exchange(view, index, 0) };
}

export class AgentLog {
  private fd: number | null;
  private readonly limiter: RateLimiter;
  private noticeTimer: NodeJS.Timeout | null = null;

  /**
   * `onFileError` is told once when the log file cannot be used; lines then go to stderr.
   * `lines` names them in the suppression notice (`stall`, `promise`).
   */
  constructor(
    private readonly destination: string,
    private readonly format: LogFormat,
    linesPerMinute: number,
    private readonly onFileError: (message: string) => void,
    private readonly lines = 'stall',
    private readonly suppressed: SuppressedCount = localCount(),
  ) {
    this.limiter = new RateLimiter(linesPerMinute, 60_000);
    this.fd = this.open();
  }

  /** A rate-limited line; `text` is the human form, `fields` the JSON form. */
  line(text: string, fields: LogFields): void {
    this.lineOf(() => ({ text, fields }));
  }

  /** A rate-limited line built only if it gets through: for lines that cost something to make. */
  lineOf(build: () => { text: string; fields: LogFields }): void {
    if (this.fd === null) return;
    // Monotonic: a wall-clock step back would hold the window shut for the step plus a minute.
    const nowMs = clockMs();
    if (!this.limiter.tryTake(nowMs)) {
      this.suppressed.add();
      this.scheduleNotice(nowMs);
      return;
    }
    this.reportSuppressed();
    const { text, fields } = build();
    this.write(text, fields);
  }

  /**
   * Says how many lines the rate limit swallowed, if any. Runs before the next line that gets
   * through, when the limit lets lines through again, and at exit: a storm's last suppressed lines
   * must not vanish without a word.
   */
  reportSuppressed(): void {
    if (this.fd === null) return;
    const count = this.suppressed.take();
    if (count === 0) return;
    this.write(`${count} ${this.lines} line(s) suppressed by the rate limit (LOOPWATCH_LOG_PER_MIN)`, { event: 'suppressed', count });
  }

  /** A line that bypasses the rate limit: hangs and the like, rare by construction. */
  always(text: string, fields: LogFields): void {
    if (this.fd === null) return;
    this.write(text, fields);
  }

  private scheduleNotice(nowMs: number): void {
    if (this.noticeTimer !== null) return;
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = null;
      this.reportSuppressed();
    }, this.limiter.nextFreeMs(nowMs) - nowMs);
    this.noticeTimer.unref();
  }

  close(): void {
    if (this.fd !== null && this.fd !== 2) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Already closed.
      }
    }
    this.fd = null;
  }

  private open(): number | null {
    if (this.destination === 'off') return null;
    if (this.destination === 'stderr') return 2;
    try {
      // Non-blocking: a FIFO with no reader would otherwise block the opening thread for good (the
      // main thread at exit, see tellSuppressedLines); this way it fails at once, to stderr.
      const { O_WRONLY, O_APPEND, O_CREAT, O_NONBLOCK } = fs.constants;
      return fs.openSync(this.destination, O_WRONLY | O_APPEND | O_CREAT | (O_NONBLOCK ?? 0), 0o600);
    } catch (error) {
      this.onFileError(`cannot open LOOPWATCH_LOG=${this.destination} (${(error as Error).message}); logging to stderr`);
      return 2;
    }
  }

  private write(text: string, fields: LogFields): void {
    const output =
      this.format === 'json'
        ? JSON.stringify({ time: new Date().toISOString(), pid: process.pid, source: 'loopwatch', msg: text, ...fields }) + '\n'
        : `loopwatch: ${text}\n`;
    try {
      fs.writeSync(this.fd ?? 2, output);
    } catch (error) {
      if (this.fd !== 2) {
        this.onFileError(`cannot write LOOPWATCH_LOG=${this.destination} (${(error as Error).message}); logging to stderr`);
        this.fd = 2;
      }
    }
  }
}
