/**
 * The watchdog worker. It polls the main thread's heartbeat, and while the main thread is stuck it
 * captures where (inspector), re-samples long stalls, and writes the report and a log line itself:
 * a hung main thread can do none of that. It owns the stall aggregate and the report file.
 */
import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import { StallDetector, RateLimiter, type DetectorEvent } from './detector';
import { StackCapture } from './inspector-capture';
import { ThreadStackCapture } from './inspector-thread-capture';
import { NativeCaptureThread, NativeSampler } from './native-capture';
import { ThreadRegistry } from './thread-registry';
import { RecentSlowCalls } from './slow-calls';
import { finishedRecord, ongoingRecord } from './stall-record';
import { hangLine, slowCallLine, stallLine, type LogLine } from './stall-lines';
import { openStall, type OpenStall, type Sampler, type Watched } from './watched';
import {
  BEAT_INDEX,
  EXITING_INDEX,
  FLUSH_ACK_INDEX,
  HEARTBEAT_MS,
  POLL_MS,
  READY_INDEX,
  MAIN_STALLS_RECORDED_INDEX,
  SUPPRESSED_LINES_INDEX,
  SYNC_CALL_INDEX,
  THREAD_SESSIONS_INDEX,
  nsToMs,
  threadsChannelName,
  type FromWatchdog,
  type ThreadMessage,
  type ToWatchdog,
  type WatchdogData,
} from './shared';
import { keptFrames, mapFrame } from '../stack/frames';
import type { SlowCall } from '../feature';
import { isAppFrame, siteOf, shortLocation, type AttributionRules } from '../stack/attribution';
import { StallAggregate, type StallRecord } from '../report/aggregate';
import { buildReport, writeReportFile, type ReportContext } from '../report/report';
import { AgentLog, sharedCount } from '../log';
import { expandPath } from '../options';
import type { WarningCode } from '../codes';

/** Report writes after a stall are batched: at most one per this period. */
const REPORT_DEBOUNCE_MS = 250;
/** How long a hang line waits for a stack capture already in flight (see onHang). */
const HANG_CAPTURE_WAIT_MS = 200;
/** Slow sync calls remembered for matching with the stall they caused. */
const RECENT_SLOW_CALLS = 32;
/**
 * The final flush waits this long when worker threads are registered: a worker's last messages
 * (its measured stall, the slow call that caused it) travel on the threads channel, unordered with
 * the main thread's flush on parentPort, and are already queued when a worker's end lets the main
 * thread exit. Measured: without the wait, half of such stalls lost their sync-API attribution.
 */
const THREAD_MESSAGES_GRACE_MS = 10;

/** Why a stall has no stack, by what the last sample found. */
const NO_STACK_REASONS = {
  'timed-out': 'no answer in time: the thread (or the main thread) was inside a native call',
  'no-frames': 'every sample landed between two microtasks (a long promise chain), with no JavaScript frame to name',
  'not-listed': 'the thread had exited',
  starting: 'the capture thread was still starting',
  turned: 'the loop turned before the stack could be captured',
} as const;

const data = workerData as WatchdogData;
const options = data.options;
const flags = new Int32Array(data.shared);
const rules: AttributionRules = { appPaths: options.appPaths, agentRoots: data.agentRoots };
const reportPath = options.report === null ? null : expandPath(options.report, data.pid);
const context: ReportContext = {
  pid: data.pid,
  startedAt: data.startedAt,
  mode: options.mode,
  thresholdMs: options.thresholdMs,
  hangMs: options.hangMs,
  stacks: data.capture !== 'off',
  capture: data.capture,
  ...(data.capture === 'off' ? { stacksUnavailable: data.noCaptureReason ?? 'stack capture unavailable' } : {}),
};

/**
 * The native path's blocking calls run on their own thread (capture-thread.ts), started at the
 * first capture: an isolate costs about 9 MiB of RSS, which a process that never stalls need not
 * pay. It boots in tens of milliseconds; the first request waits in its queue meanwhile.
 */
let captureThread: NativeCaptureThread | null = null;
/** The capture thread failed: no native sampler any more. */
let nativeDown = false;
function nativeCaptureThread(): NativeCaptureThread | null {
  if (captureThread !== null || nativeDown || processExiting()) return captureThread;
  try {
    captureThread = new NativeCaptureThread({ shared: data.shared, registry: data.registry }, (message) => {
      captureThread = null;
      nativeDown = true;
      main.capture = null;
      for (const watched of threads.values()) watched.capture = null;
      warn('LOOPWATCH_NO_NATIVE_CAPTURE', `native stack capture stopped: ${message}; stalls are still timed`);
    });
  } catch (error) {
    nativeDown = true;
    warn('LOOPWATCH_NO_NATIVE_CAPTURE', `native stack capture could not start (${(error as Error).message}); stalls are still timed`);
  }
  return captureThread;
}

/** The sampler of a watched thread, by capture path; null when stacks are off (or the capture thread died). */
function samplerFor(threadId: number, beats: 'main' | 'registry', beatIndex: number): Sampler | null {
  if (data.capture === 'native') return nativeDown ? null : new NativeSampler(nativeCaptureThread, { key: String(threadId), beats, beatIndex });
  if (data.capture === 'inspector') return threadId === 0 ? new StackCapture() : new ThreadStackCapture(threadId, onThreadSession);
  return null;
}

function newDetector(): StallDetector {
  return new StallDetector({
    thresholdMs: options.thresholdMs,
    hangMs: options.hangMs,
    heartbeatMs: HEARTBEAT_MS,
    sampleIntervalMs: options.sampleIntervalMs,
    maxSamples: options.maxSamples,
  });
}
const aggregate = new StallAggregate(options.maxSites, options.maxStalls);
const captureLimiter = new RateLimiter(options.maxCapturesPerMinute, 60_000);
const main: Watched = {
  threadId: 0,
  beats: new BigInt64Array(data.shared),
  beatIndex: BEAT_INDEX,
  slot: -1,
  detector: newDetector(),
  capture: samplerFor(0, 'main', BEAT_INDEX),
  open: null,
  awaitingCapture: new Set(),
};
const threads = new ThreadRegistry(data.registry, {
  watch: (threadId, slot, beats, beatIndex) => ({
    threadId,
    beats,
    beatIndex,
    slot,
    detector: newDetector(),
    capture: samplerFor(threadId, 'registry', beatIndex),
    open: null,
    awaitingCapture: new Set(),
  }),
  terminated(watched, open) {
    // Terminated in the middle of a stall (an app timing out a stuck worker): where it was stuck is
    // the point. Its duration is a lower bound: how long it had lasted at the last stack in hand.
    if (open !== null && open.stack.length > 0 && open.aliveMs !== undefined && open.aliveMs >= options.thresholdMs) {
      recordStall(watched.threadId, open, open.aliveMs, open.beatNs + BigInt(Math.round((open.aliveMs + HEARTBEAT_MS) * 1e6)));
    }
  },
});
/** Set by the final flush: a worker's message arriving after it would record its stall twice. */
let exiting = false;
let threadSessions = 0;
function onThreadSession(connected: boolean): boolean {
  threadSessions += connected ? 1 : -1;
  Atomics.store(flags, THREAD_SESSIONS_INDEX, threadSessions);
  // Counted first, then checked (see EXITING_INDEX): no session may start once the process exits.
  return !connected || !processExiting();
}
/** The final flush came, or (without a report, so without a flush) the main thread set the exit flag. */
function processExiting(): boolean {
  return exiting || Atomics.load(flags, EXITING_INDEX) === 1;
}
const warnedOnce = new Set<string>();
const log = new AgentLog(
  options.log,
  options.logFormat,
  options.logLinesPerMinute,
  (message) => warn('LOOPWATCH_LOG_UNWRITABLE', message),
  'stall',
  sharedCount(flags, SUPPRESSED_LINES_INDEX),
);

let sections: Record<string, unknown> = {};
const recentSlowCalls = new RecentSlowCalls(RECENT_SLOW_CALLS);
let reportTimer: NodeJS.Timeout | null = null;
/** Numbering of the SYNC_CALL_INDEX slot (see shared.ts). */
let syncApiNames: string[] = [];

/**
 * The sync API the thread is inside right now, if any. Worker threads number their APIs as the main
 * thread does (the same wrappers, in the same order), so the main thread's names serve for all.
 */
function currentSyncApi(watched: Watched): string | null {
  const number = watched === main ? Atomics.load(flags, SYNC_CALL_INDEX) : threads.syncCallNumber(watched);
  // Names not in yet (a worker slow to boot): still a native call, just not named.
  return number > 0 ? (syncApiNames[number - 1] ?? 'a sync API') : null;
}
let reportDirty = false;

function send(message: FromWatchdog): void {
  parentPort?.postMessage(message);
}

function warn(code: WarningCode, message: string): void {
  if (warnedOnce.has(code)) return;
  warnedOnce.add(code);
  send({ type: 'warning', code, message });
}

function tick(): void {
  threads.discover();
  poll(main);
  for (const watched of threads.values()) if (watched.gone !== true) poll(watched);
  // A stall going on is part of the report on disk too: a SIGTERM now (no signal listener, see
  // agent.ts) must not lose it. Debounced like every other write.
  if (main.open !== null) scheduleReport();
  retryThreadCaptures();
}

/**
 * Worker-thread captures that got no answer because the main thread, which relays them, was stuck
 * in a native call: tried again once it is not, not sooner (a try while it is stuck only queues
 * another session behind it and spends the capture budget).
 */
function retryThreadCaptures(): void {
  if (main.open !== null || currentSyncApi(main) !== null) return;
  for (const watched of threads.values()) {
    const open = watched.open;
    if (open?.retryCapture !== true || open.capturing !== null || !captureLimiter.tryTake(performance.now())) continue;
    takeSample(watched, open, nsToMs(process.hrtime.bigint() - open.beatNs) - HEARTBEAT_MS);
  }
}

function poll(watched: Watched): void {
  const beatNs = Atomics.load(watched.beats, watched.beatIndex);
  for (const event of watched.detector.poll(nsToMs(process.hrtime.bigint()), nsToMs(beatNs))) handle(watched, event, beatNs);
}

function handle(watched: Watched, event: DetectorEvent, beatNs: bigint): void {
  switch (event.type) {
    case 'stall-start': {
      const open = openStall(beatNs, event.elapsedMs);
      watched.open = open;
      const inApi = currentSyncApi(watched);
      if (inApi !== null) {
        // A pause cannot land inside a native call: the wrapper reports the exact call site when
        // it returns, so keep the capture budget (a later sample may still capture, see below).
        open.inSyncApi = inApi;
        open.noStackReason = `inside ${inApi}, a native call no capture can interrupt`;
        return;
      }
      if (watched.capture === null) open.noStackReason = 'stack capture unavailable';
      else if (!captureLimiter.tryTake(performance.now())) open.noStackReason = 'stack capture rate-limited (LOOPWATCH_MAX_CAPTURES_PER_MIN)';
      else takeSample(watched, open, 0);
      return;
    }
    case 'sample': {
      const open = watched.open;
      if (open === null || open.capturing !== null) return;
      if (open.stack.length > 0) takeSample(watched, open, event.elapsedMs);
      // The first sample caught the thread between two microtasks (or came before the capture
      // thread was up): try again.
      else if (open.retryNextSample === true && captureLimiter.tryTake(performance.now())) takeSample(watched, open, event.elapsedMs);
      // Started inside a sync call that has returned, and the loop is still blocked: capture now.
      else if (open.inSyncApi !== undefined && watched.capture !== null && currentSyncApi(watched) === null && captureLimiter.tryTake(performance.now())) {
        takeSample(watched, open, event.elapsedMs);
      }
      return;
    }
    case 'hang':
      if (watched.open !== null) onHang(watched, watched.open, event.elapsedMs);
      return;
    case 'stall-resumed':
      void watched.capture?.end();
      return;
  }
}

function takeSample(watched: Watched, stall: OpenStall, elapsedMs: number, after?: () => void): void {
  const current = watched.capture;
  // The process is on its way out (final flush, or the exit flag when there is no report): a
  // session attached now, even to a main thread busy in the app's own exit handlers, would still be
  // attached when the thread exits ("Waiting for the debugger to disconnect...").
  if (current === null || processExiting()) return;
  const startedNs = process.hrtime.bigint();
  stall.capturing = current
    .sample(() => Atomics.load(watched.beats, watched.beatIndex) === stall.beatNs, stall.beatNs)
    .then(({ frames, unreachable, atEntry = false }) => {
      stall.retryCapture = false;
      stall.retryNextSample = unreachable === 'no-frames' || unreachable === 'starting';
      if (frames === null) {
        // worker.terminate() runs no exit handler: the inspector not listing the thread is one way
        // we learn it is gone (its creator's 'exit' event, src/threads/exits.ts, is the other).
        if (unreachable === 'not-listed') threads.gone(watched);
        // No answer in time says nothing about the thread: it, or the main thread (which relays
        // inspector captures, and which every native capture waits for too), is in a long native
        // call. Tried again once the main thread is free (see retryThreadCaptures).
        if (unreachable === 'timed-out') stall.retryCapture = true;
        if (stall.stack.length === 0) stall.noStackReason = NO_STACK_REASONS[unreachable ?? 'turned'];
        return;
      }
      stall.aliveMs = nsToMs(process.hrtime.bigint() - stall.beatNs) - HEARTBEAT_MS;
      const site = siteOf(frames, rules);
      const stack = keptFrames(frames, site);
      if (stall.stack.length === 0) {
        stall.captureMs = Math.round(nsToMs(process.hrtime.bigint() - startedNs) * 10) / 10;
        stall.stack = stack;
        stall.site = site;
        stall.siteAtEntry = atEntry;
        stall.noStackReason = undefined;
      } else {
        stall.samples.push({ atMs: Math.round(elapsedMs), stack });
        // The first stack caught the thread outside the app's code (in Node's own tick processing,
        // between two callbacks of one long turn), or at a function's entry rather than a statement:
        // a later one inside the app's code, at a statement, names the line instead. The first stack
        // stays in the samples: where that part of the stall went.
        const better = stall.site === null || !isAppFrame(stall.site, rules) || (stall.siteAtEntry === true && !atEntry);
        if (site !== null && isAppFrame(site, rules) && better) {
          stall.samples.unshift({ atMs: Math.round(stall.detectedAfterMs), stack: stall.stack });
          stall.site = site;
          stall.stack = stack;
          stall.siteAtEntry = atEntry;
        }
      }
    })
    .catch((error: unknown) => {
      stall.noStackReason = 'stack capture failed';
      // A worker thread can go away mid-capture, and a command times out while the thread sits in
      // a long native call: end this session, the next stall tries again with a new one.
      if (watched !== main || (error as Error).message.endsWith('timed out')) {
        void current.end();
        return;
      }
      const code = data.capture === 'native' ? 'LOOPWATCH_NO_NATIVE_CAPTURE' : 'LOOPWATCH_NO_INSPECTOR';
      warn(code, `stack capture failed (${(error as Error).message}); stalls are still timed, without stacks`);
      // Ended, not just dropped: a Debugger left enabled makes promise-heavy code 7-9x slower.
      void current.end();
      main.capture = null;
    })
    .finally(() => {
      stall.capturing = null;
      after?.();
    });
}

function onHang(watched: Watched, stall: OpenStall, elapsedMs: number): void {
  const finish = (): void => {
    // A worker thread ended by terminate() looks hung forever: only a thread the inspector still
    // lists is reported (without an inspector, worker-thread hangs are not reported at all).
    if (watched !== main && (watched.capture === null || watched.gone === true || !threads.has(watched.threadId))) return;
    const inApi = currentSyncApi(watched);
    writeReport('hang', ongoing(watched, process.hrtime.bigint()));
    const line = hangLine({ elapsedMs, threadId: watched.threadId, inApi, site: stall.site, reportPath }, data.cwd);
    log.always(line.text, line.fields);
  };
  // A fresh sample for the hang report, after any capture in flight (one pause at a time).
  const sampleThenFinish = (): void => {
    // Inside a native call the pause would never land: report what is known, now.
    if (currentSyncApi(watched) !== null) finish();
    else if (watched.capture !== null && watched.open === stall) takeSample(watched, stall, elapsedMs, finish);
    else finish();
  };
  if (stall.capturing === null) return sampleThenFinish();
  // A capture in flight gets a moment to land; no more: one waiting on a thread inside a long native
  // call answers only when the call returns, and the hang line is for while the thread is stuck.
  let done = false;
  const once = (next: () => void) => () => {
    if (done) return;
    done = true;
    next();
  };
  setTimeout(once(finish), HANG_CAPTURE_WAIT_MS);
  void stall.capturing.then(once(sampleThenFinish));
}

/** A thread measured a stall's exact duration when its loop turned again. */
async function onStallMeasured(watched: Watched, durationMs: number, endNs: bigint): Promise<void> {
  const stall = watched.open;
  watched.open = null;
  if (stall?.capturing) {
    // Wait for the capture in flight, unless a flush needs this stall first (see onFlush).
    const measured = { stall, durationMs, endNs };
    watched.awaitingCapture.add(measured);
    await stall.capturing;
    if (!watched.awaitingCapture.delete(measured)) return;
  }
  recordMeasured(watched, stall, durationMs, endNs);
}

/** A stall the thread measured and posted; the main thread's exit waits for these (see MAIN_STALLS_RECORDED_INDEX). */
function recordMeasured(watched: Watched, stall: OpenStall | null, durationMs: number, endNs: bigint): void {
  recordStall(watched.threadId, stall, durationMs, endNs);
  if (watched === main) Atomics.add(flags, MAIN_STALLS_RECORDED_INDEX, 1);
}

function recordStall(threadId: number, stall: OpenStall | null, durationMs: number, endNs: bigint): void {
  const calls = recentSlowCalls.endedWithin(threadId, endNs - BigInt(Math.round((durationMs + HEARTBEAT_MS) * 1e6)), endNs);
  const record = finishedRecord(threadId, stall, durationMs, calls, rules);
  aggregate.add(record);
  writeLine(stallLine(record, data.cwd));
  send({ type: 'stall', durationMs: record.durationMs, site: record.site ? shortLocation(record.site, data.cwd) : null, api: record.api, kind: record.kind, threadId });
  scheduleReport();
}

function rememberSlowCall(threadId: number, call: SlowCall): void {
  recentSlowCalls.add(threadId, call);
  if (options.mode === 'debug') writeLine(slowCallLine(threadId, call, siteOf(call.stack.map(mapFrame), rules), data.cwd));
}

function writeLine(line: LogLine): void {
  log.line(line.text, line.fields);
}

/** The thread's stall in progress, if any, as the report shows it. */
function ongoing(watched: Watched, nowNs: bigint): StallRecord | null {
  const open = watched.open;
  return open === null ? null : ongoingRecord(watched.threadId, open, nsToMs(nowNs - open.beatNs) - HEARTBEAT_MS, currentSyncApi(watched));
}

function scheduleReport(): void {
  if (reportPath === null) return;
  reportDirty = true;
  if (reportTimer !== null) return;
  reportTimer = setTimeout(() => {
    reportTimer = null;
    if (reportDirty) writeReport('stall');
  }, REPORT_DEBOUNCE_MS);
}

function writeReport(reason: string, current: StallRecord | null = ongoing(main, process.hrtime.bigint())): void {
  if (reportPath === null) return;
  reportDirty = false;
  try {
    writeReportFile(reportPath, buildReport(context, aggregate, reason, current, sections));
  } catch (error) {
    warn('LOOPWATCH_REPORT_UNWRITABLE', `cannot write LOOPWATCH_REPORT=${reportPath} (${(error as Error).message})`);
  }
}

/**
 * The main thread is exiting (or got a signal) and waits on the shared buffer: record the stall in
 * progress, if any, write the report, release it. Synchronous on purpose: the main thread is parked
 * in Atomics.wait and cannot service inspector messages.
 */
function onFlush(seq: number, nowNs: bigint, final: boolean): void {
  try {
    // The main thread is parked until we answer: it cannot service a capture, so stalls waiting
    // for one are recorded with what they have.
    for (const watched of [main, ...threads.values()]) {
      for (const measured of watched.awaitingCapture) recordMeasured(watched, measured.stall, measured.durationMs, measured.endNs);
      watched.awaitingCapture.clear();
    }
    if (final) {
      exiting = true;
      captureThread?.close();
      main.capture?.endNow();
      main.capture = null;
      const stall = main.open;
      main.open = null;
      // The main thread measured (beat) before flushing, so a stall still open here was shorter
      // than the threshold as the main thread sees it, or its message is lost: record it only
      // if it is long enough by the shared heartbeat.
      const lateMs = stall === null ? 0 : nsToMs(nowNs - stall.beatNs) - HEARTBEAT_MS;
      if (stall !== null && lateMs >= options.thresholdMs) recordStall(0, stall, lateMs, nowNs);
      for (const watched of threads.values()) {
        watched.capture?.endNow();
        watched.capture = null;
        const open = watched.open;
        watched.open = null;
        // A worker thread still blocked as the process exits. Only with a stack: that proves the
        // thread was alive during the stall (a terminated thread's heartbeat is frozen too).
        if (open !== null && open.stack.length > 0) recordStall(watched.threadId, open, nsToMs(nowNs - open.beatNs) - HEARTBEAT_MS, nowNs);
      }
      log.reportSuppressed();
    }
    writeReport(final ? 'exit' : 'signal', null);
  } finally {
    Atomics.store(flags, FLUSH_ACK_INDEX, seq);
    Atomics.notify(flags, FLUSH_ACK_INDEX);
  }
}

parentPort?.on('message', (message: ToWatchdog) => {
  try {
    switch (message.type) {
      case 'stall':
        void onStallMeasured(main, message.durationMs, BigInt(message.endNs));
        break;
      case 'flush': {
        const { seq, nowNs, final } = message;
        if (!final || threads.size === 0) onFlush(seq, BigInt(nowNs), final);
        else
          setTimeout(() => {
            try {
              onFlush(seq, BigInt(nowNs), final);
            } catch (error) {
              warn('LOOPWATCH_INTERNAL', `watchdog error: ${(error as Error).message}`);
            }
          }, THREAD_MESSAGES_GRACE_MS);
        break;
      }
      case 'slow-call':
        rememberSlowCall(0, message.call);
        break;
      case 'sections':
        sections = message.sections;
        scheduleReport();
        break;
      case 'sync-api-names':
        syncApiNames = message.names;
        break;
      case 'thread-exit':
        if (!exiting) threads.exited(message.threadId);
        break;
    }
  } catch (error) {
    warn('LOOPWATCH_INTERNAL', `watchdog error: ${(error as Error).message}`);
  }
});

/** App worker threads register here, from the preload running inside them (src/threads/register.ts). */
function onThreadMessage(message: ThreadMessage): void {
  if (exiting) return;
  switch (message.type) {
    case 'unregister':
      threads.unregistered(message.threadId, message.slot);
      return;
    case 'stall': {
      threads.discover();
      const watched = threads.get(message.threadId);
      if (watched !== undefined) void onStallMeasured(watched, message.durationMs, BigInt(message.endNs));
      // Registered before the watchdog listened and blocked before it said hello: timed, no stack.
      else recordStall(message.threadId, null, message.durationMs, BigInt(message.endNs));
      return;
    }
    case 'slow-call':
      rememberSlowCall(message.threadId, message.call);
      return;
    case 'thread-exit':
      threads.exited(message.threadId);
      return;
  }
}

const threadsChannel = new BroadcastChannel(threadsChannelName(data.pid));
threadsChannel.onmessage = (event) => {
  try {
    onThreadMessage((event as { data: ThreadMessage }).data);
  } catch (error) {
    warn('LOOPWATCH_INTERNAL', `watchdog error: ${(error as Error).message}`);
  }
};
threadsChannel.unref();

// A bug in the watchdog may cost stall detection, never the app; and an unhandled rejection would
// end this thread, taking the report and the hang dump with it. Say so and carry on instead.
process.on('unhandledRejection', (reason) => {
  warn('LOOPWATCH_INTERNAL', `watchdog error: ${reason instanceof Error ? reason.message : String(reason)}`);
});

Atomics.store(flags, READY_INDEX, 1);

setInterval(() => {
  try {
    tick();
  } catch (error) {
    warn('LOOPWATCH_INTERNAL', `watchdog error: ${(error as Error).message}`);
  }
}, POLL_MS);
