/**
 * loopwatch's promise lines, written on the main thread. Promise findings happen on the main thread
 * (in `process.emit` and in FinalizationRegistry callbacks), never while the loop is blocked, so no
 * worker round trip is needed. Same destinations and formats as the watchdog's StallLog; a separate
 * writer, because the StallLog's rate-limit notice speaks of stall lines.
 */
import * as fs from 'node:fs';
import { RateLimiter } from '../watchdog/detector';
import type { LogFormat } from '../options';
import type { LogFields } from '../log';

export interface PromiseLog {
  line(text: string, fields: LogFields): void;
  close(): void;
}

export function openPromiseLog(destination: string, format: LogFormat, linesPerMinute: number, onFileError: (message: string) => void): PromiseLog {
  let fd = open();
  const limiter = new RateLimiter(linesPerMinute, 60_000);
  let suppressed = 0;

  function open(): number | null {
    if (destination === 'off') return null;
    if (destination === 'stderr') return 2;
    try {
      return fs.openSync(destination, 'a', 0o600);
    } catch (error) {
      onFileError(`cannot open LOOPWATCH_LOG=${destination} (${(error as Error).message}); logging to stderr`);
      return 2;
    }
  }

  function write(text: string, fields: LogFields): void {
    const output =
      format === 'json'
        ? JSON.stringify({ time: new Date().toISOString(), pid: process.pid, source: 'loopwatch', msg: text, ...fields }) + '\n'
        : `loopwatch: ${text}\n`;
    try {
      fs.writeSync(fd ?? 2, output);
    } catch (error) {
      if (fd !== 2) {
        onFileError(`cannot write LOOPWATCH_LOG=${destination} (${(error as Error).message}); logging to stderr`);
        fd = 2;
      }
    }
  }

  return {
    line(text, fields) {
      if (fd === null) return;
      if (!limiter.tryTake(Date.now())) {
        suppressed += 1;
        return;
      }
      if (suppressed > 0) {
        write(`${suppressed} promise line(s) suppressed by the rate limit (LOOPWATCH_LOG_PER_MIN)`, { event: 'suppressed', count: suppressed });
        suppressed = 0;
      }
      write(text, fields);
    },
    close() {
      if (fd !== null && fd !== 2) {
        try {
          fs.closeSync(fd);
        } catch {
          // Already closed.
        }
      }
      fd = null;
    },
  };
}
