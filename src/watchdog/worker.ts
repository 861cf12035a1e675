/**
 * The watchdog worker's entry. It polls the heartbeats of the app's threads, and while one is stuck
 * reads where (see docs/capture.md), re-samples long stalls, and writes the report and a log line
 * itself: a hung main thread can do none of that. The logic is in core.ts; this file only wires it
 * to this thread's messages, its poll timer and the real clock, files and samplers.
 */
import * as fs from 'node:fs';
import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import { WatchdogCore } from './core';
import { Samplers } from './samplers';
import { POLL_MS, READY_INDEX, SUPPRESSED_LINES_INDEX, threadsChannelName, type ThreadMessage, type ToWatchdog, type WatchdogData } from './shared';
import { writeReportFile } from '../report/report';
import { AgentLog, sharedCount } from '../log';

const data = workerData as WatchdogData;
const flags = new Int32Array(data.shared);

const core = new WatchdogCore({
  data,
  nowNs: () => process.hrtime.bigint(),
  nowMs: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  send: (message) => parentPort?.postMessage(message),
  writeStderr: (text) => {
    try {
      fs.writeSync(2, text);
    } catch {
      // stderr closed: nobody to tell.
    }
  },
  log: (warn) =>
    new AgentLog(
      data.options.log,
      data.options.logFormat,
      data.options.logLinesPerMinute,
      (message) => warn('LOOPWATCH_LOG_UNWRITABLE', message),
      'stall',
      sharedCount(flags, SUPPRESSED_LINES_INDEX),
    ),
  writeReportFile,
  samplers: (hooks) => new Samplers(data, flags, hooks),
});

parentPort?.on('message', (message: ToWatchdog) => core.guard(() => core.onMainMessage(message)));

/** App worker threads talk to the watchdog here, from the preload running inside them (src/watchdog/app-thread.ts). */
const threadsChannel = new BroadcastChannel(threadsChannelName(data.pid));
threadsChannel.onmessage = (event) => core.guard(() => core.onThreadMessage((event as { data: ThreadMessage }).data));
threadsChannel.unref();

// A bug in the watchdog may cost stall detection, never the app; and an unhandled rejection would
// end this thread, taking the report and the hang dump with it. Say so and carry on instead.
process.on('unhandledRejection', (reason) => {
  core.warn('LOOPWATCH_INTERNAL', `watchdog error: ${reason instanceof Error ? reason.message : String(reason)}`);
});

Atomics.store(flags, READY_INDEX, 1);

/** A timer set anew after each tick, as far ahead as the core says it can be (core.nextPollInMs). */
const poll = (): void => {
  core.guard(() => core.tick());
  let waitMs = POLL_MS;
  core.guard(() => (waitMs = core.nextPollInMs()));
  setTimeout(poll, waitMs);
};
setTimeout(poll, POLL_MS);
// After the first poll: booting the capture thread alongside the watchdog delayed the watchdog
// enough to miss a stall that began 50 ms after the app started (1 run in 12).
setTimeout(() => core.guard(() => core.warmUp()), 0);
