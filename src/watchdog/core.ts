/**
 * The watchdog's logic, free of threads and timers of its own: it polls the heartbeats it is given,
 * decides when a thread is stalled, asks the thread's sampler for stacks, and records, logs and
 * reports what it learns. The worker entry (worker.ts) wires it to messages and a poll timer; the
 * unit tests drive it with a fake clock, fake samplers and fake timers.
 */
import { StallDetector, RateLimiter, type DetectorEvent } from './detector';
import { ThreadRegistry } from './thread-registry';
import { RecentSlowCalls } from './slow-calls';
import { finishedRecord, ongoingRecord } from './stall-record';
import { hangLine, slowCallLine, stallLine, type LogLine } from './stall-lines';
import { applySample } from './sampling';
import { ReportWriter } from './report-writer';
import { openStall, type OpenStall, type Sampler, type Watched } from './watched';
import type { SamplersHooks } from './samplers';
import {
  BEAT_INDEX,
  EXITING_INDEX,
  FLUSH_ACK_INDEX,
  HEARTBEAT_MS,
  MAIN_STALLS_RECORDED_INDEX,
  SYNC_CALL_INDEX,
  nsToMs,
  type FromWatchdog,
  type ThreadMessage,
  type ToWatchdog,
  type WatchdogData,
} from './shared';
import { mapFrame } from '../stack/frames';
import type { SlowCall } from '../feature';
import { siteOf, shortLocation, type AttributionRules } from '../stack/attribution';
import { StallAggregate, type StallRecord } from '../report/aggregate';
import { buildReport, type Report, type ReportContext } from '../report/report';
import type { LogFields } from '../log';
import { expandPath } from '../options';
import type { WarningCode } from '../codes';

/** How long a hang line waits for a stack capture already in flight (see onHang). */
export const HANG_CAPTURE_WAIT_MS = 200;
/** Slow sync calls remembered for matching with the stall they caused. */
const RECENT_SLOW_CALLS = 32;
/**
 * The final flush waits this long when worker threads are registered: a worker's last messages
 * (its measured stall, the slow call that caused it) travel on the threads channel, unordered with
 * the main thread's flush on parentPort, and are already queued when a worker's end lets the main
 * thread exit. Measured: without the wait, half of such stalls lost their sync-API attribution.
 */
export const THREAD_MESSAGES_GRACE_MS = 10;

/** Where stall lines go (src/log.ts's AgentLog). */
export interface StallLog {
  line(text: string, fields: LogFields): void;
  /** Not rate-limited: the hang line. */
  always(text: string, fields: LogFields): void;
  /** Tells the lines the rate limit swallowed. */
  reportSuppressed(): void;
}

/** What the core needs from its thread; worker.ts passes the real ones. */
export interface CoreParts {
  data: WatchdogData;
  /** process.hrtime.bigint(): the clock the heartbeats are written with. */
  nowNs(): bigint;
  /** performance.now(): for the capture budget. */
  nowMs(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  send(message: FromWatchdog): void;
  log(warn: (code: WarningCode, message: string) => void): StallLog;
  writeReportFile(path: string, report: Report): void;
  samplers(hooks: SamplersHooks): { forThread(threadId: number, beats: 'main' | 'registry', beatIndex: number): Sampler | null; close(): void };
}

export class WatchdogCore {
  /** Set by the final flush: a worker's message arriving after it would record its stall twice. */
  private exiting = false;
  private sections: Record<string, unknown> = {};
  /** Numbering of the SYNC_CALL_INDEX slot (see shared.ts). */
  private syncApiNames: string[] = [];
  private readonly warnedOnce = new Set<WarningCode>();
  private readonly options: WatchdogData['options'];
  private readonly flags: Int32Array;
  private readonly rules: AttributionRules;
  private readonly reportPath: string | null;
  private readonly aggregate: StallAggregate;
  private readonly captureLimiter: RateLimiter;
  private readonly recentSlowCalls = new RecentSlowCalls(RECENT_SLOW_CALLS);
  private readonly log: StallLog;
  private readonly report: ReportWriter;
  private readonly samplers: ReturnType<CoreParts['samplers']>;
  readonly main: Watched;
  readonly threads: ThreadRegistry;

  constructor(private readonly parts: CoreParts) {
    const { data } = parts;
    this.options = data.options;
    this.flags = new Int32Array(data.shared);
    this.rules = { appPaths: this.options.appPaths, agentRoots: data.agentRoots };
    this.reportPath = this.options.report === null ? null : expandPath(this.options.report, data.pid);
    this.aggregate = new StallAggregate(this.options.maxSites, this.options.maxStalls);
    this.captureLimiter = new RateLimiter(this.options.maxCapturesPerMinute, 60_000);
    this.log = parts.log((code, message) => this.warn(code, message));
    this.samplers = parts.samplers({
      warn: (code, message) => this.warn(code, message),
      exiting: () => this.processExiting(),
      lost: () => {
        for (const watched of [this.main, ...this.threads.values()]) watched.capture = null;
      },
    });
    const context: ReportContext = {
      pid: data.pid,
      startedAt: data.startedAt,
      mode: this.options.mode,
      thresholdMs: this.options.thresholdMs,
      hangMs: this.options.hangMs,
      stacks: data.capture !== 'off',
      capture: data.capture,
      ...(data.capture === 'off' ? { stacksUnavailable: data.noCaptureReason ?? 'stack capture unavailable' } : {}),
    };
    this.report = new ReportWriter({
      path: this.reportPath,
      build: (reason, current) => buildReport(context, this.aggregate, reason, current, this.sections),
      ongoing: () => this.ongoing(this.main),
      writeFile: (path, report) => parts.writeReportFile(path, report),
      onError: (error) => this.warn('LOOPWATCH_REPORT_UNWRITABLE', `cannot write LOOPWATCH_REPORT=${this.reportPath} (${error.message})`),
      setTimeout: (callback, ms) => parts.setTimeout(callback, ms),
    });
    this.main = this.watch(0, -1, new BigInt64Array(data.shared), BEAT_INDEX, 'main');
    this.threads = new ThreadRegistry(data.registry, {
      watch: (threadId, slot, beats, beatIndex) => this.watch(threadId, slot, beats, beatIndex, 'registry'),
      terminated: (watched, open) => {
        // Terminated in the middle of a stall (an app timing out a stuck worker): where it was
        // stuck is the point. Its duration is a lower bound: how long it had lasted at the last
        // stack in hand.
        if (open !== null && open.stack.length > 0 && open.aliveMs !== undefined && open.aliveMs >= this.options.thresholdMs) {
          this.recordStall(watched.threadId, open, open.aliveMs, open.beatNs + BigInt(Math.round((open.aliveMs + HEARTBEAT_MS) * 1e6)));
        }
      },
    });
  }

  /** One look at every heartbeat; called every POLL_MS. */
  tick(): void {
    this.threads.discover();
    this.poll(this.main);
    for (const watched of this.threads.values()) if (watched.gone !== true) this.poll(watched);
    // A stall going on is part of the report on disk too: a SIGTERM now (no signal listener, see
    // agent.ts) must not lose it. Debounced like every other write.
    if (this.main.open !== null) this.report.schedule();
    this.retryThreadCaptures();
  }

  /** A message from the main thread. */
  onMainMessage(message: ToWatchdog): void {
    switch (message.type) {
      case 'stall':
        void this.onStallMeasured(this.main, message.durationMs, BigInt(message.endNs));
        return;
      case 'flush': {
        const { seq, final } = message;
        const nowNs = BigInt(message.nowNs);
        if (!final || this.threads.size === 0) this.onFlush(seq, nowNs, final);
        else this.parts.setTimeout(() => this.guard(() => this.onFlush(seq, nowNs, final)), THREAD_MESSAGES_GRACE_MS);
        return;
      }
      case 'slow-call':
        this.rememberSlowCall(0, message.call);
        return;
      case 'sections':
        this.sections = message.sections;
        this.report.schedule();
        return;
      case 'sync-api-names':
        this.syncApiNames = message.names;
        return;
      case 'thread-exit':
        if (!this.exiting) this.threads.exited(message.threadId);
        return;
    }
  }

  /** A message from an app worker thread's preload (src/threads/register.ts). */
  onThreadMessage(message: ThreadMessage): void {
    if (this.exiting) return;
    switch (message.type) {
      case 'unregister':
        this.threads.unregistered(message.threadId, message.slot);
        return;
      case 'stall': {
        this.threads.discover();
        const watched = this.threads.get(message.threadId);
        if (watched !== undefined) void this.onStallMeasured(watched, message.durationMs, BigInt(message.endNs));
        // Registered before the watchdog listened and blocked before it said hello: timed, no stack.
        else this.recordStall(message.threadId, null, message.durationMs, BigInt(message.endNs));
        return;
      }
      case 'slow-call':
        this.rememberSlowCall(message.threadId, message.call);
        return;
      case 'thread-exit':
        this.threads.exited(message.threadId);
        return;
    }
  }

  /** Runs `action`; a watchdog bug is one LOOPWATCH_INTERNAL warning, never the end of this thread. */
  guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.warn('LOOPWATCH_INTERNAL', `watchdog error: ${(error as Error).message}`);
    }
  }

  warn(code: WarningCode, message: string): void {
    if (this.warnedOnce.has(code)) return;
    this.warnedOnce.add(code);
    this.parts.send({ type: 'warning', code, message });
  }

  private watch(threadId: number, slot: number, beats: BigInt64Array, beatIndex: number, where: 'main' | 'registry'): Watched {
    const detector = new StallDetector({
      thresholdMs: this.options.thresholdMs,
      hangMs: this.options.hangMs,
      heartbeatMs: HEARTBEAT_MS,
      sampleIntervalMs: this.options.sampleIntervalMs,
      maxSamples: this.options.maxSamples,
    });
    return { threadId, beats, beatIndex, slot, detector, capture: this.samplers.forThread(threadId, where, beatIndex), open: null, awaitingCapture: new Set() };
  }

  /** The final flush came, or (without a report, so without a flush) the main thread set the exit flag. */
  private processExiting(): boolean {
    return this.exiting || Atomics.load(this.flags, EXITING_INDEX) === 1;
  }

  /**
   * The sync API the thread is inside right now, if any. Worker threads number their APIs as the
   * main thread does (the same wrappers, in the same order), so the main thread's names serve for all.
   */
  private currentSyncApi(watched: Watched): string | null {
    const number = watched === this.main ? Atomics.load(this.flags, SYNC_CALL_INDEX) : this.threads.syncCallNumber(watched);
    // Names not in yet (a worker slow to boot): still a native call, just not named.
    return number > 0 ? (this.syncApiNames[number - 1] ?? 'a sync API') : null;
  }

  /**
   * Worker-thread captures that got no answer because the main thread (which relays inspector
   * captures, and which a native capture waits for too) was stuck in a native call: tried again
   * once it is not, not sooner (a try while it is stuck only queues another behind it and spends
   * the capture budget).
   */
  private retryThreadCaptures(): void {
    if (this.main.open !== null || this.currentSyncApi(this.main) !== null) return;
    for (const watched of this.threads.values()) {
      const open = watched.open;
      if (open?.retryCapture !== true || open.capturing !== null || !this.captureLimiter.tryTake(this.parts.nowMs())) continue;
      this.takeSample(watched, open, nsToMs(this.parts.nowNs() - open.beatNs) - HEARTBEAT_MS);
    }
  }

  private poll(watched: Watched): void {
    const beatNs = Atomics.load(watched.beats, watched.beatIndex);
    for (const event of watched.detector.poll(nsToMs(this.parts.nowNs()), nsToMs(beatNs))) this.handle(watched, event, beatNs);
  }

  private handle(watched: Watched, event: DetectorEvent, beatNs: bigint): void {
    const budget = (): boolean => this.captureLimiter.tryTake(this.parts.nowMs());
    switch (event.type) {
      case 'stall-start': {
        const open = openStall(beatNs, event.elapsedMs);
        watched.open = open;
        const inApi = this.currentSyncApi(watched);
        if (inApi !== null) {
          // No capture lands inside a native call: the wrapper reports the exact call site when it
          // returns, so keep the capture budget (a later sample may still capture, see below).
          open.inSyncApi = inApi;
          open.noStackReason = `inside ${inApi}, a native call no capture can interrupt`;
          return;
        }
        if (watched.capture === null) open.noStackReason = 'stack capture unavailable';
        else if (!budget()) open.noStackReason = 'stack capture rate-limited (LOOPWATCH_MAX_CAPTURES_PER_MIN)';
        else this.takeSample(watched, open, 0);
        return;
      }
      case 'sample': {
        const open = watched.open;
        if (open === null || open.capturing !== null) return;
        if (open.stack.length > 0) this.takeSample(watched, open, event.elapsedMs);
        // The first sample caught the thread between two microtasks (or came before the capture
        // thread was up): try again.
        else if (open.retryNextSample === true && budget()) this.takeSample(watched, open, event.elapsedMs);
        // Started inside a sync call that has returned, and the loop is still blocked: capture now.
        else if (open.inSyncApi !== undefined && watched.capture !== null && this.currentSyncApi(watched) === null && budget()) {
          this.takeSample(watched, open, event.elapsedMs);
        }
        return;
      }
      case 'hang':
        if (watched.open !== null) this.onHang(watched, watched.open, event.elapsedMs);
        return;
      case 'stall-resumed':
        void watched.capture?.end();
        return;
    }
  }

  private takeSample(watched: Watched, stall: OpenStall, elapsedMs: number, after?: () => void): void {
    const current = watched.capture;
    // The process is on its way out (final flush, or the exit flag when there is no report): a
    // capture started now could outlive the thread it waits on (an inspector session left
    // attached prints "Waiting for the debugger to disconnect...").
    if (current === null || this.processExiting()) return;
    const startedNs = this.parts.nowNs();
    stall.capturing = current
      .sample(() => Atomics.load(watched.beats, watched.beatIndex) === stall.beatNs, stall.beatNs)
      .then((result) => {
        if (applySample(stall, result, { startedNs, nowNs: this.parts.nowNs(), elapsedMs }, this.rules)) this.threads.gone(watched);
      })
      .catch((error: unknown) => {
        stall.noStackReason = 'stack capture failed';
        // A worker thread can go away mid-capture, and a command times out while the thread sits
        // in a long native call: end this session, the next stall tries again with a new one.
        if (watched !== this.main || (error as Error).message.endsWith('timed out')) {
          void current.end();
          return;
        }
        const code = this.parts.data.capture === 'native' ? 'LOOPWATCH_NO_NATIVE_CAPTURE' : 'LOOPWATCH_NO_INSPECTOR';
        this.warn(code, `stack capture failed (${(error as Error).message}); stalls are still timed, without stacks`);
        // Ended, not just dropped: a Debugger left enabled makes promise-heavy code 7-9x slower.
        void current.end();
        this.main.capture = null;
      })
      .finally(() => {
        stall.capturing = null;
        after?.();
      });
  }

  private onHang(watched: Watched, stall: OpenStall, elapsedMs: number): void {
    const finish = (): void => {
      // A worker thread ended by terminate() looks hung forever: only a thread still listed is
      // reported (without stack capture, worker-thread hangs are not reported at all).
      if (watched !== this.main && (watched.capture === null || watched.gone === true || !this.threads.has(watched.threadId))) return;
      const inApi = this.currentSyncApi(watched);
      this.report.write('hang', this.ongoing(watched));
      const line = hangLine({ elapsedMs, threadId: watched.threadId, inApi, site: stall.site, reportPath: this.reportPath }, this.parts.data.cwd);
      this.log.always(line.text, line.fields);
    };
    // A fresh sample for the hang report, after any capture in flight (one at a time).
    const sampleThenFinish = (): void => {
      // Inside a native call no capture would land: report what is known, now.
      if (this.currentSyncApi(watched) !== null) finish();
      else if (watched.capture !== null && watched.open === stall) this.takeSample(watched, stall, elapsedMs, finish);
      else finish();
    };
    const capturing = stall.capturing;
    if (capturing === null) return sampleThenFinish();
    // A capture in flight gets a moment to land; no more: one waiting on a thread inside a long
    // native call answers only when the call returns, and the hang line is for while it is stuck.
    let done = false;
    const once = (next: () => void) => (): void => {
      if (done) return;
      done = true;
      next();
    };
    this.parts.setTimeout(once(finish), HANG_CAPTURE_WAIT_MS);
    void capturing.then(once(sampleThenFinish));
  }

  /** A thread measured a stall's exact duration when its loop turned again. */
  private async onStallMeasured(watched: Watched, durationMs: number, endNs: bigint): Promise<void> {
    const stall = watched.open;
    watched.open = null;
    if (stall?.capturing) {
      // Wait for the capture in flight, unless a flush needs this stall first (see onFlush).
      const measured = { stall, durationMs, endNs };
      watched.awaitingCapture.add(measured);
      await stall.capturing;
      if (!watched.awaitingCapture.delete(measured)) return;
    }
    this.recordMeasured(watched, stall, durationMs, endNs);
  }

  /** A stall the thread measured and posted; the main thread's exit waits for these (see MAIN_STALLS_RECORDED_INDEX). */
  private recordMeasured(watched: Watched, stall: OpenStall | null, durationMs: number, endNs: bigint): void {
    this.recordStall(watched.threadId, stall, durationMs, endNs);
    if (watched === this.main) Atomics.add(this.flags, MAIN_STALLS_RECORDED_INDEX, 1);
  }

  private recordStall(threadId: number, stall: OpenStall | null, durationMs: number, endNs: bigint): void {
    const calls = this.recentSlowCalls.endedWithin(threadId, endNs - BigInt(Math.round((durationMs + HEARTBEAT_MS) * 1e6)), endNs);
    const record = finishedRecord(threadId, stall, durationMs, calls, this.rules);
    this.aggregate.add(record);
    this.writeLine(stallLine(record, this.parts.data.cwd));
    const site = record.site ? shortLocation(record.site, this.parts.data.cwd) : null;
    this.parts.send({ type: 'stall', durationMs: record.durationMs, site, api: record.api, kind: record.kind, threadId });
    this.report.schedule();
  }

  private rememberSlowCall(threadId: number, call: SlowCall): void {
    this.recentSlowCalls.add(threadId, call);
    if (this.options.mode === 'debug') this.writeLine(slowCallLine(threadId, call, siteOf(call.stack.map(mapFrame), this.rules), this.parts.data.cwd));
  }

  private writeLine(line: LogLine): void {
    this.log.line(line.text, line.fields);
  }

  /** The thread's stall in progress, if any, as the report shows it. */
  private ongoing(watched: Watched): StallRecord | null {
    const open = watched.open;
    return open === null ? null : ongoingRecord(watched.threadId, open, nsToMs(this.parts.nowNs() - open.beatNs) - HEARTBEAT_MS, this.currentSyncApi(watched));
  }

  /**
   * The main thread is exiting (or got a signal) and waits on the shared buffer: record the stall
   * in progress, if any, write the report, release it. Synchronous on purpose: the main thread is
   * parked in Atomics.wait and cannot answer a capture.
   */
  private onFlush(seq: number, nowNs: bigint, final: boolean): void {
    try {
      // The main thread is parked until we answer: it cannot answer a capture, so stalls waiting
      // for one are recorded with what they have.
      for (const watched of [this.main, ...this.threads.values()]) {
        for (const measured of watched.awaitingCapture) this.recordMeasured(watched, measured.stall, measured.durationMs, measured.endNs);
        watched.awaitingCapture.clear();
      }
      if (final) this.closeForExit(nowNs);
      this.report.write(final ? 'exit' : 'signal', null);
    } finally {
      Atomics.store(this.flags, FLUSH_ACK_INDEX, seq);
      Atomics.notify(this.flags, FLUSH_ACK_INDEX);
    }
  }

  /** The final flush: no capture from now on, and the stalls still open are recorded as they stand. */
  private closeForExit(nowNs: bigint): void {
    this.exiting = true;
    this.samplers.close();
    this.main.capture?.endNow();
    this.main.capture = null;
    const stall = this.main.open;
    this.main.open = null;
    // The main thread measured (beat) before flushing, so a stall still open here was shorter than
    // the threshold as the main thread sees it, or its message is lost: record it only if it is
    // long enough by the shared heartbeat.
    const lateMs = stall === null ? 0 : nsToMs(nowNs - stall.beatNs) - HEARTBEAT_MS;
    if (stall !== null && lateMs >= this.options.thresholdMs) this.recordStall(0, stall, lateMs, nowNs);
    for (const watched of this.threads.values()) {
      watched.capture?.endNow();
      watched.capture = null;
      const open = watched.open;
      watched.open = null;
      // A worker thread still blocked as the process exits. Only with a stack: that proves the
      // thread was alive during the stall (a terminated thread's heartbeat is frozen too).
      if (open !== null && open.stack.length > 0) this.recordStall(watched.threadId, open, nsToMs(nowNs - open.beatNs) - HEARTBEAT_MS, nowNs);
    }
    this.log.reportSuppressed();
  }
}
