/**
 * The watchdog's logic, free of threads and timers of its own: it polls the heartbeats it is given,
 * decides when a thread is stalled, asks the thread's sampler for stacks, and records, logs and
 * reports what it learns. The worker entry (worker.ts) wires it to messages and a poll timer; the
 * unit tests drive it with a fake clock, fake samplers and fake timers.
 */
import { StallDetector } from './detector';
import { BusyWatch } from './busy';
import { CaptureScheduler } from './capture-scheduler';
import { ThreadRegistry } from './thread-registry';
import { StallRecorder, type StallLog } from './recorder';
import { THREAD_MESSAGES_GRACE_MS, type CoreParts } from './core-parts';
import type { OpenStall, Watched } from './watched';
import {
  BEAT_INDEX,
  CALL_SITE_WANTED_INDEX,
  EXITING_INDEX,
  FLUSH_ACK_INDEX,
  HEARTBEAT_MS,
  IDLE_POLL_MAX_MS,
  LOOP_ACTIVE_INDEX,
  MAIN_STALLS_RECORDED_INDEX,
  POLL_MS,
  SYNC_CALL_INDEX,
  STALLED_BEAT_INDEX,
  beatMark,
  nsToMs,
  type ThreadMessage,
  type ToWatchdog,
  type WatchdogData,
} from './shared';
import type { StallRecord } from '../report/aggregate';
import { expandPath } from '../options';
import { mapFrame } from '../stack/frames';
import { isAgentFrame } from '../stack/attribution';
import { mainPackageRoot } from '../stack/main-package';
import { MainThreadMaps, remapStall } from '../stack/memory-maps';
import type { WarningCode } from '../codes';
import type { RequestsAtStall } from '../http/requests';

export { HANG_CAPTURE_WAIT_MS } from './capture-scheduler';
export type { CoreParts } from './core-parts';
export type { StallLog } from './recorder';

export class WatchdogCore {
  /** Set by the final flush: a worker's message arriving after it would record its stall twice. */
  private exiting = false;
  /** Numbering of the SYNC_CALL_INDEX slot (see shared.ts). */
  private syncApiNames: string[] = [];
  private readonly warnedOnce = new Set<WarningCode>();
  private readonly options: WatchdogData['options'];
  private readonly flags: Int32Array;
  private readonly scheduler: CaptureScheduler;
  private readonly log: StallLog;
  private readonly recorder: StallRecorder;
  private readonly samplers: ReturnType<CoreParts['samplers']>;
  /** Source maps only the main thread has (TypeScript transformed in memory). */
  private readonly maps: MainThreadMaps;
  readonly main: Watched;
  readonly threads: ThreadRegistry;
  /** The main thread's busy loop, when LOOPWATCH_BUSY_PERCENT is not 0. */
  private readonly busy: BusyWatch | null;

  constructor(private readonly parts: CoreParts) {
    const { data } = parts;
    this.options = data.options;
    this.flags = new Int32Array(data.shared);
    this.log = parts.log((code, message) => this.warn(code, message));
    this.maps = new MainThreadMaps(
      (id, files) => parts.send({ type: 'source-maps-wanted', id, files }),
      (callback, ms) => parts.setTimeout(() => this.guard(callback), ms),
    );
    this.samplers = parts.samplers({
      warn: (code, message) => this.warn(code, message),
      exiting: () => this.processExiting(),
      lost: () => {
        for (const watched of [this.main, ...this.threads.values()]) watched.capture = null;
      },
    });
    this.recorder = new StallRecorder({
      data,
      rules: { appPaths: this.options.appPaths, agentRoots: data.agentRoots, mainPackage: mainPackageRoot(data.mainModule, data.cwd) },
      reportPath: this.options.report === null ? null : expandPath(this.options.report, data.pid),
      log: this.log,
      send: (message) => parts.send(message),
      warn: (code, message) => this.warn(code, message),
      writeReportFile: (path, report) => parts.writeReportFile(path, report),
      setTimeout: (callback, ms) => parts.setTimeout(callback, ms),
      ongoing: () => this.ongoing(this.main),
    });
    this.scheduler = new CaptureScheduler({
      capture: data.capture,
      rules: this.recorder.rules,
      maxCapturesPerMinute: this.options.maxCapturesPerMinute,
      nowNs: () => parts.nowNs(),
      nowMs: () => parts.nowMs(),
      setTimeout: (callback, ms) => parts.setTimeout(callback, ms),
      main: () => this.main,
      threads: () => this.threads.values(),
      currentSyncApi: (watched) => this.currentSyncApi(watched),
      wantCallSite: (wanted) => Atomics.store(this.flags, CALL_SITE_WANTED_INDEX, wanted ? 1 : 0),
      exiting: () => this.processExiting(),
      gone: (watched) => this.threads.gone(watched),
      listed: (threadId) => this.threads.has(threadId),
      hang: (watched, stall, elapsedMs) => this.recorder.hang(watched.threadId, stall, elapsedMs, this.currentSyncApi(watched), this.ongoing(watched)),
      warn: (code, message) => this.warn(code, message),
    });
    this.main = this.watch(0, -1, new BigInt64Array(data.shared), BEAT_INDEX, 'main');
    this.busy = this.options.busyPercent > 0 ? this.watchBusy(new BigInt64Array(data.shared)) : null;
    this.threads = new ThreadRegistry(data.registry, {
      watch: (threadId, slot, beats, beatIndex) => this.watch(threadId, slot, beats, beatIndex, 'registry'),
      terminated: (watched, open) => {
        // Terminated in the middle of a stall (an app timing out a stuck worker): where it was
        // stuck is the point. Its duration is a lower bound: how long it had lasted at the last
        // stack in hand.
        if (open !== null && open.stack.length > 0 && open.aliveMs !== undefined && open.aliveMs >= this.options.thresholdMs) {
          this.recorder.record(watched.threadId, open, open.aliveMs, open.beatNs + BigInt(Math.round((open.aliveMs + HEARTBEAT_MS) * 1e6)));
        }
      },
    });
  }

  /** One look at every heartbeat; the worker calls it again after nextPollInMs(). */
  tick(): void {
    this.threads.discover();
    this.poll(this.main);
    this.busy?.tick();
    for (const watched of this.threads.values()) if (watched.gone !== true) this.poll(watched);
    // A stall going on is part of the report on disk too: a SIGTERM now (no signal listener, see
    // agent.ts) must not lose it. Debounced like every other write.
    if (this.main.open !== null) this.recorder.report.schedule();
    this.scheduler.retryThreadCaptures();
  }

  /**
   * How long the watchdog can sleep before the next tick. While a thread is stalled: POLL_MS (its
   * samples, the hang limit, the moment it ends). Otherwise until the first moment a thread's
   * heartbeat could be late by the threshold, which is when the detector would open a stall, so a
   * stall is noticed as it crosses the threshold and an idle process wakes the watchdog about 10
   * times a second rather than 100. At most IDLE_POLL_MAX_MS; the busy-loop watch says when it
   * is due.
   */
  nextPollInMs(): number {
    const nowMs = nsToMs(this.parts.nowNs());
    let waitMs = Math.min(IDLE_POLL_MAX_MS, this.busy?.dueInMs() ?? IDLE_POLL_MAX_MS);
    for (const watched of [this.main, ...this.threads.values()]) {
      if (watched.gone === true) continue;
      if (watched.detector.openStallBeat !== null) return POLL_MS;
      waitMs = Math.min(waitMs, watched.detector.msUntilStall(nowMs, nsToMs(Atomics.load(watched.beats, watched.beatIndex))));
    }
    return Math.max(1, Math.ceil(waitMs));
  }

  /** Starts what the first capture needs (the native path's capture thread), after the first poll. */
  warmUp(): void {
    this.samplers.warmUp();
  }

  /** A message from the main thread. */
  onMainMessage(message: ToWatchdog): void {
    switch (message.type) {
      case 'stall':
        void this.onStallMeasured(this.main, message.durationMs, BigInt(message.endNs), message.http);
        return;
      case 'flush': {
        const { seq, final } = message;
        const nowNs = BigInt(message.nowNs);
        if (!final || this.threads.size === 0) this.onFlush(seq, nowNs, final);
        else this.parts.setTimeout(() => this.guard(() => this.onFlush(seq, nowNs, final)), THREAD_MESSAGES_GRACE_MS);
        return;
      }
      case 'slow-call':
        this.recorder.rememberSlowCall(0, message.call);
        return;
      case 'sections':
        this.recorder.setSections(message.sections);
        return;
      case 'sync-api-names':
        this.syncApiNames = message.names;
        return;
      case 'thread-exit':
        if (!this.exiting) this.threads.exited(message.threadId);
        return;
      case 'startup-ended':
        this.recorder.startupEnded(BigInt(message.endNs));
        return;
      case 'source-maps':
        this.maps.answered(message.id, message.answer);
        return;
    }
  }

  /** A message from an app worker thread's preload (src/watchdog/app-thread.ts). */
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
        else this.recorder.record(message.threadId, null, message.durationMs, BigInt(message.endNs));
        return;
      }
      case 'slow-call':
        this.recorder.rememberSlowCall(message.threadId, message.call);
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
    if (this.warnedOnce.has(code) || this.parts.data.warnedAtStart.includes(code)) return;
    this.warnedOnce.add(code);
    // In the final flush the main thread runs only exit handlers: a warning posted to it now would
    // never print (process.emitWarning is asynchronous). Written here, as Node prints warnings.
    if (this.exiting) {
      if (!this.parts.data.noWarnings) this.parts.writeStderr(`(node:${this.parts.data.pid}) [${code}] LoopwatchWarning: loopwatch: ${message}\n`);
      return;
    }
    this.parts.send({ type: 'warning', code, message });
  }

  private watchBusy(beats: BigInt64Array): BusyWatch {
    const { rules } = this.recorder;
    return new BusyWatch({
      percent: this.options.busyPercent,
      windowMs: this.options.busyWindowMs,
      nowMs: () => this.parts.nowMs(),
      activeMs: () => Number(Atomics.load(beats, LOOP_ACTIVE_INDEX)) / 1000,
      stalled: () => this.main.open !== null,
      // Read at each sample: the capture thread can die, and the main sampler with it.
      sample: () => this.main.capture?.sampleRunning?.() ?? Promise.resolve({ frames: null }),
      betweenCallbacks: (frames) => frames.every((frame) => frame.file.startsWith('node:') || isAgentFrame(frame, rules)),
      step: (step) => this.recorder.busyStep(step),
      changed: (busy, utilisation) => this.recorder.busyChanged(busy, utilisation),
    });
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

  private poll(watched: Watched): void {
    const beatNs = Atomics.load(watched.beats, watched.beatIndex);
    for (const event of watched.detector.poll(nsToMs(this.parts.nowNs()), nsToMs(beatNs))) {
      // Tells the main thread's request tracking that this turn of its loop is a stall (STALLED_BEAT_INDEX).
      if (event.type === 'stall-start' && watched === this.main) Atomics.store(this.flags, STALLED_BEAT_INDEX, beatMark(beatNs));
      this.scheduler.handle(watched, event, beatNs);
    }
  }

  /** A thread measured a stall's exact duration when its loop turned again. */
  private async onStallMeasured(watched: Watched, durationMs: number, endNs: bigint, http?: RequestsAtStall): Promise<void> {
    const stall = watched.open;
    watched.open = null;
    if (stall !== null && (stall.capturing !== null || this.wantsMaps(stall).length > 0)) {
      // Wait for the capture in flight, then for the maps its frames need from the main thread (its
      // loop is free again), unless a flush needs this stall first (see onFlush).
      const measured = { stall, durationMs, endNs, http };
      watched.awaitingCapture.add(measured);
      await stall.capturing;
      await this.maps.fetch(this.wantsMaps(stall));
      if (!watched.awaitingCapture.delete(measured)) return;
    }
    this.recordMeasured(watched, stall, durationMs, endNs, http);
  }

  /** A stall the thread measured and posted; the main thread's exit waits for these (see MAIN_STALLS_RECORDED_INDEX). */
  private recordMeasured(watched: Watched, stall: OpenStall | null, durationMs: number, endNs: bigint, http?: RequestsAtStall): void {
    if (stall !== null) remapStall(stall, mapFrame);
    this.recorder.record(watched.threadId, stall, durationMs, endNs, http);
    if (watched === this.main) Atomics.add(this.flags, MAIN_STALLS_RECORDED_INDEX, 1);
  }

  /** Files of the stall's frames whose source maps only the main thread has; [] when none. */
  private wantsMaps(stall: OpenStall): string[] {
    return this.maps.wanted([...stall.stack, ...stall.samples.flatMap((sample) => sample.stack)]);
  }

  /** The thread's stall in progress, if any, as the report shows it. */
  private ongoing(watched: Watched): StallRecord | null {
    const open = watched.open;
    return open === null ? null : this.recorder.ongoingRecord(watched.threadId, open, this.parts.nowNs(), this.currentSyncApi(watched));
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
        for (const measured of watched.awaitingCapture) this.recordMeasured(watched, measured.stall, measured.durationMs, measured.endNs, measured.http);
        watched.awaitingCapture.clear();
      }
      if (final) this.closeForExit(nowNs);
      this.recorder.report.write(final ? 'exit' : 'signal', null);
    } finally {
      Atomics.store(this.flags, FLUSH_ACK_INDEX, seq);
      Atomics.notify(this.flags, FLUSH_ACK_INDEX);
    }
  }

  /** The final flush: no capture from now on, and the stalls still open are recorded as they stand. */
  private closeForExit(nowNs: bigint): void {
    this.exiting = true;
    this.busy?.flush();
    this.samplers.close();
    this.main.capture?.endNow();
    this.main.capture = null;
    const stall = this.main.open;
    this.main.open = null;
    // The main thread measured (beat) before flushing, so a stall still open here was shorter than
    // the threshold as the main thread sees it, or its message is lost: record it only if it is
    // long enough by the shared heartbeat.
    const lateMs = stall === null ? 0 : nsToMs(nowNs - stall.beatNs) - HEARTBEAT_MS;
    if (stall !== null && lateMs >= this.options.thresholdMs) this.recorder.record(0, stall, lateMs, nowNs);
    for (const watched of this.threads.values()) {
      watched.capture?.endNow();
      watched.capture = null;
      const open = watched.open;
      watched.open = null;
      // A worker thread still blocked as the process exits. Only with a stack: that proves the
      // thread was alive during the stall (a terminated thread's heartbeat is frozen too).
      if (open !== null && open.stack.length > 0) this.recorder.record(watched.threadId, open, nsToMs(nowNs - open.beatNs) - HEARTBEAT_MS, nowNs);
    }
    this.log.reportSuppressed();
  }
}
