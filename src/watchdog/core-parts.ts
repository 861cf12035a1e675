/**
 * What the watchdog core (core.ts) is given by its thread, and the timings it keeps: worker.ts
 * passes the real clock, timers, files and samplers; the unit tests pass fakes.
 */
import type { StallLog } from './recorder';
import type { Sampler } from './watched';
import type { SamplersHooks } from './samplers';
import type { FromWatchdog, WatchdogData } from './shared';
import type { Report } from '../report/report';
import type { WarningCode } from '../codes';

/**
 * The final flush waits this long when worker threads are registered: a worker's last messages
 * (its measured stall, the slow call that caused it) travel on the threads channel, unordered with
 * the main thread's flush on parentPort, and are already queued when a worker's end lets the main
 * thread exit. Measured: without the wait, half of such stalls lost their sync-API attribution.
 */
export const THREAD_MESSAGES_GRACE_MS = 10;

/** What the core needs from its thread; worker.ts passes the real ones. */
export interface CoreParts {
  data: WatchdogData;
  /** process.hrtime.bigint(): the clock the heartbeats are written with. */
  nowNs(): bigint;
  /** performance.now(): for the capture budget. */
  nowMs(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  send(message: FromWatchdog): void;
  /** Straight to the process's stderr (fd 2), for what must be said after the main thread stopped listening. */
  writeStderr(text: string): void;
  log(warn: (code: WarningCode, message: string) => void): StallLog;
  writeReportFile(path: string, report: Report): void;
  samplers(hooks: SamplersHooks): { forThread(threadId: number, beats: 'main' | 'registry', beatIndex: number): Sampler | null; warmUp(): void; close(): void };
}
