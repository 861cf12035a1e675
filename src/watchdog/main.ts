/**
 * The main-thread side of the watchdog: a heartbeat in a SharedArrayBuffer, the worker that watches
 * it, and the exit handshake. The heartbeat timer is unref'd and the worker too: loopwatch never
 * keeps a process alive.
 */
import { Worker, setEnvironmentData, type WorkerOptions } from 'node:worker_threads';
import type { Options } from '../options';
import type { WarningCode } from '../codes';
import type { BusyEvent, StallEvent } from '../feature';
import type { BeatClock, RequestsAtStall } from '../http/requests';
import type { CaptureDecision } from '../capture/choose';
import { watchWorkerExits } from './thread-exits';
import { watchStartupEnd } from './startup-end';
import { phaseAt } from '../phase';
import { routeKey } from '../http/route';
import { AGENT_ROOTS } from '../agent-roots';
import { WATCHDOG_WORKER_FILE } from '../paths';
import { AgentLog, sharedCount } from '../log';
import {
  ACTIVE_AFTER_MS,
  BEAT_INDEX,
  CAPTURE_PATH_KEY,
  LOOP_ACTIVE_INDEX,
  EXITING_INDEX,
  FLUSH_ACK_INDEX,
  HEARTBEAT_MS,
  READY_INDEX,
  REGISTRY_BYTES,
  REGISTRY_KEY,
  SHARED_BYTES,
  MAIN_STALLS_RECORDED_INDEX,
  NATIVE_CAPTURE_INDEX,
  CALL_SITE_WANTED_INDEX,
  CAPTURED_REQUEST_BEAT_INDEX,
  CAPTURED_REQUEST_INDEX,
  STALLED_BEAT_INDEX,
  beatMark,
  SUPPRESSED_LINES_INDEX,
  SYNC_CALL_INDEX,
  THREAD_SESSIONS_INDEX,
  WATCHDOG_MARK,
  nsToMs,
  type FromWatchdog,
  type ToWatchdog,
  type WatchdogData,
} from './shared';
import { nowMs, nowNs } from '../clock';

/** The longest the main thread waits for the worker to write the final report at exit. */
const FLUSH_TIMEOUT_MS = 2000;
/**
 * ... and for a worker that has not finished booting (a short script, a loaded machine): the
 * report it is about to write is the whole point of LOOPWATCH_REPORT.
 */
const FLUSH_BOOT_TIMEOUT_MS = 5000;
/**
 * At exit, how long the main thread waits for a native capture in progress (NATIVE_CAPTURE_INDEX):
 * waiting in Atomics.wait, it takes the capture's interrupt, so a capture of this thread ends at
 * once. Only a capture held up by a worker thread inside a long native call lasts longer; the exit
 * then goes on, and Node's teardown waits for the capture thread (the module's limit is 5 s).
 */
const NATIVE_CAPTURE_EXIT_WAIT_MS = 100;
/**
 * `Atomics.wait` as Node provides it, taken when this module loads, before the sync-API timing
 * wraps it (src/sync-api/natives.ts): the handshake's waits are loopwatch's own, never the app's
 * slow calls.
 */
const atomicsWait = Atomics.wait.bind(Atomics);

export interface WatchdogHooks {
  warn(code: WarningCode, message: string): void;
  /** Codes the user was already told at start-up: the watchdog does not say them again. */
  warnedAtStart?: WarningCode[];
  onStall?(stall: StallEvent): void;
  onBusy?(busy: BusyEvent): void;
  /** The HTTP request a stall that just ended happened in, and the others in flight (src/http/requests.ts). */
  requestsAtStall?(stalledEpoch: number, capturedId: number | null): RequestsAtStall | null;
  /**
   * Called once the shared memory is set up, just before the worker starts: the agent starts its
   * features here, so that the worker starts last (a process that exits while the worker boots
   * waits for it: docs/benchmarks.md, "Start-up cost per process").
   */
  beforeWorker?(early: Pick<Watchdog, 'clock' | 'syncCallSlot' | 'callSiteWanted'>): void;
}

export interface Watchdog {
  /** Blocks until the worker has written the report (bounded). `final` also closes a stall in progress. */
  flush(final: boolean): void;
  /**
   * At exit without a report: a final flush only when a stall is not logged yet (the exit ends
   * it, or the watchdog has not recorded it) or the watchdog is capturing an app worker thread
   * (so it lets go); and tells the stall lines the
   * log's rate limit swallowed since the last notice (a flush is where the watchdog tells them
   * itself). Otherwise returns at once: a clock read and a few Atomics loads.
   */
  exitWithoutReport(): void;
  post(message: ToWatchdog): void;
  /** The heartbeat as the request tracking reads it, cheaply (see BeatClock). */
  readonly clock: BeatClock;
  /** One Int32 the sync-API wrappers write the running API's number into (see SYNC_CALL_INDEX). */
  readonly syncCallSlot: Int32Array;
  /** One Int32 the watchdog sets when it wants the next sync call's site (see CALL_SITE_WANTED_INDEX). */
  readonly callSiteWanted: Int32Array;
  stop(): void;
}

/** `workerFile` is the watchdog worker's script; only tests pass another (one that fails, say). */
export function startWatchdog(options: Options, capture: CaptureDecision, hooks: WatchdogHooks, workerFile = WATCHDOG_WORKER_FILE): Watchdog {
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const beats = new BigInt64Array(shared);
  const flags = new Int32Array(shared);
  let lastBeat = nowNs();
  const clock: BeatClock = { epoch: 0, mark: beatMark(lastBeat), stalled: new Int32Array(shared, STALLED_BEAT_INDEX * Int32Array.BYTES_PER_ELEMENT, 1) };
  /** Stalls posted to the watchdog; compared with MAIN_STALLS_RECORDED_INDEX at exit. */
  let stallsPosted = 0;
  Atomics.store(beats, BEAT_INDEX, lastBeat);

  // Before the app runs: every worker it creates inherits the registry (see REGISTRY_KEY).
  const registry = new SharedArrayBuffer(REGISTRY_BYTES);
  setEnvironmentData(REGISTRY_KEY, registry);
  setEnvironmentData(CAPTURE_PATH_KEY, capture.path);
  const data: WatchdogData = {
    registry,
    [WATCHDOG_MARK]: true,
    shared,
    options,
    pid: process.pid,
    cwd: process.cwd(),
    startedAt: new Date().toISOString(),
    agentRoots: [...AGENT_ROOTS],
    capture: capture.path,
    ...(capture.reason !== undefined ? { noCaptureReason: capture.reason } : {}),
    warnedAtStart: hooks.warnedAtStart ?? [],
    // Not resolved here: the watchdog does the realpath, off the app's thread.
    ...(typeof process.argv[1] === 'string' ? { mainModule: process.argv[1] } : {}),
    // Set by --no-warnings (also through NODE_OPTIONS); not in @types/node.
    noWarnings: (process as { noProcessWarnings?: boolean }).noProcessWarnings === true,
  };
  const env = { ...process.env };
  // Without this, a --require preload inside NODE_OPTIONS would run again in the worker.
  delete env.NODE_OPTIONS;
  const syncCallSlot = new Int32Array(shared, SYNC_CALL_INDEX * Int32Array.BYTES_PER_ELEMENT, 1);
  const callSiteWanted = new Int32Array(shared, CALL_SITE_WANTED_INDEX * Int32Array.BYTES_PER_ELEMENT, 1);
  hooks.beforeWorker?.({ clock, syncCallSlot, callSiteWanted });
  const worker = startWorkerUnseen(workerFile, { workerData: data, execArgv: [], env });

  let alive = true;
  let stopping = false;
  worker.on('message', (message: FromWatchdog) => {
    if (message.type === 'warning') hooks.warn(message.code, message.message);
    else if (message.type === 'stall') {
      const { type: _type, ...stall } = message;
      hooks.onStall?.(stall);
    } else if (message.type === 'busy') {
      const { type: _type, ...busy } = message;
      hooks.onBusy?.(busy);
    } else if (message.type === 'source-maps-wanted') answerSourceMaps(message.id, message.files);
  });
  /**
   * Maps of code transformed in this thread's memory (tsx, ts-node), which the watchdog cannot see.
   * Asked once per file, after a stall: loaded only then, and never a cost at start-up.
   */
  const answerSourceMaps = (id: number, files: string[]): void => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { lookUpSourceMaps } = require('../stack/map-lookup') as typeof import('../stack/map-lookup');
      post({ type: 'source-maps', id, answer: lookUpSourceMaps(files) });
    } catch {
      // Unanswered, the watchdog reports those frames without a line, and says why.
    }
  };
  // The watchdog can die (a crash, or someone terminating every Worker they find): the app runs on,
  // and so does everything on the app's thread (sync-API timing, promises, the event-loop metrics,
  // stall counts and durations measured by the heartbeat); what the watchdog owned stops where it
  // was (stacks and sites, hang dumps, the report).
  const died = (why: string): void => {
    if (!alive) return;
    alive = false;
    // Workers created from now on have no watchdog to register with.
    setEnvironmentData(REGISTRY_KEY, undefined);
    if (!stopping) hooks.warn('LOOPWATCH_WORKER_FAILED', `watchdog worker ${why}; stacks, hang dumps and the report stop here; stall counts and the other metrics go on`);
  };
  worker.on('error', (error) => died(`failed (${error.message})`));
  worker.on('exit', (code) => died(`exited (code ${code})`));

  // After the listeners: adding a 'message' listener refs the worker again.
  worker.unref();

  const post = (message: ToWatchdog): void => {
    if (alive) worker.postMessage(message);
  };
  const stopWatchingExits = watchWorkerExits((threadId) => post({ type: 'thread-exit', threadId }), worker);
  let startupEndedNs: bigint | null = null;
  watchStartupEnd(() => {
    startupEndedNs = nowNs();
    post({ type: 'startup-ended', endNs: String(startupEndedNs) });
  });

  /** The request id a native capture read during the stall that began at `beatNs` (see CAPTURED_REQUEST_INDEX). */
  const capturedRequest = (beatNs: bigint): number | null => {
    const id = Atomics.load(flags, CAPTURED_REQUEST_INDEX);
    return id > 0 && Atomics.load(beats, CAPTURED_REQUEST_BEAT_INDEX) === beatNs ? id : null;
  };

  /** How late the next heartbeat is at `now`: the length of the stall going on, if any. */
  const latenessAt = (now: bigint): number => nsToMs(now - lastBeat) - HEARTBEAT_MS;

  /** When the heartbeat starts publishing the loop's active time (see LOOP_ACTIVE_INDEX). */
  const activeFromNs = lastBeat + BigInt(ACTIVE_AFTER_MS * 1e6);
  /** One heartbeat: a turn of the loop. If it comes late enough, the loop was stalled until now. */
  const beat = (): void => {
    const now = nowNs();
    const latenessMs = latenessAt(now);
    const previousBeat = lastBeat;
    const stalledEpoch = clock.epoch;
    lastBeat = now;
    Atomics.store(beats, BEAT_INDEX, now);
    clock.epoch = stalledEpoch + 1;
    clock.mark = beatMark(now);
    if (options.busyPercent > 0 && now >= activeFromNs) {
      Atomics.store(beats, LOOP_ACTIVE_INDEX, BigInt(Math.round(performance.eventLoopUtilization().active * 1000)));
    }
    if (latenessMs < options.thresholdMs) return;
    let http: RequestsAtStall | null = null;
    try {
      http = hooks.requestsAtStall?.(stalledEpoch, capturedRequest(previousBeat)) ?? null;
    } catch {
      // The stall is still posted, without its request.
    }
    if (alive) {
      post({ type: 'stall', durationMs: latenessMs, endNs: String(now), ...(http !== null ? { http } : {}) });
      stallsPosted += 1;
    }
    // Without the watchdog there is no stack, but the duration is measured here: stall counts and
    // durations keep flowing to the metrics.
    else
      hooks.onStall?.({
        durationMs: latenessMs,
        site: null,
        api: null,
        kind: 'unknown',
        threadId: 0,
        phase: phaseAt(previousBeat, startupEndedNs),
        ...(http?.request !== undefined ? { route: routeKey(http.request) } : {}),
        ...(http !== null ? { inFlight: http.inFlight } : {}),
      });
  };
  const heartbeat = setInterval(beat, HEARTBEAT_MS);
  heartbeat.unref();

  let flushSeq = 0;
  /**
   * The stall lines the log's rate limit swallowed and no notice told yet, told from this thread at
   * exit: through the watchdog's own log destination and format, and the shared count (whoever
   * takes it tells it). A file opened non-blocking: a FIFO with no reader fails at once, to stderr.
   */
  const tellSuppressedLines = (): void => {
    if (Atomics.load(flags, SUPPRESSED_LINES_INDEX) === 0) return;
    const log = new AgentLog(options.log, options.logFormat, 0, () => undefined, 'stall', sharedCount(flags, SUPPRESSED_LINES_INDEX));
    log.reportSuppressed();
    log.close();
  };
  /** See NATIVE_CAPTURE_EXIT_WAIT_MS; the exit flag is set, so no capture starts after this. */
  const awaitNativeCapture = (): void => {
    if (capture.path === 'native' && Atomics.load(flags, NATIVE_CAPTURE_INDEX) === 1) atomicsWait(flags, NATIVE_CAPTURE_INDEX, 1, NATIVE_CAPTURE_EXIT_WAIT_MS);
  };
  const watchdog: Watchdog = {
    post,
    clock,
    syncCallSlot,
    callSiteWanted,
    exitWithoutReport() {
      Atomics.store(flags, EXITING_INDEX, 1);
      // A stall that the exit itself ends (a script's last sync work) is measured by nobody else,
      // and one measured just before (the script's last callback returned, then the heartbeat ran)
      // may not be recorded yet: flush, so the watchdog logs it, with the stack it caught. Not
      // before the watchdog is up (it would have no stack, and a flush would wait for it to boot).
      const exitEndsStall = latenessAt(nowNs()) >= options.thresholdMs;
      const stallUnrecorded = stallsPosted > Atomics.load(flags, MAIN_STALLS_RECORDED_INDEX);
      const stallToLog = (exitEndsStall || stallUnrecorded) && Atomics.load(flags, READY_INDEX) === 1;
      if (stallToLog || Atomics.load(flags, THREAD_SESSIONS_INDEX) > 0) watchdog.flush(true);
      else tellSuppressedLines();
      awaitNativeCapture();
    },
    flush(final) {
      if (!alive) return;
      // The flush itself is a turn of the loop: a stall that just ended (or is ending in
      // process.exit()) is measured now, before the heartbeat timer would have.
      beat();
      flushSeq += 1;
      post({ type: 'flush', seq: flushSeq, nowNs: String(nowNs()), final });
      const deadline = nowMs() + (Atomics.load(flags, READY_INDEX) === 1 ? FLUSH_TIMEOUT_MS : FLUSH_BOOT_TIMEOUT_MS);
      let acked = Atomics.load(flags, FLUSH_ACK_INDEX);
      while (acked < flushSeq && nowMs() < deadline) {
        atomicsWait(flags, FLUSH_ACK_INDEX, acked, deadline - nowMs());
        acked = Atomics.load(flags, FLUSH_ACK_INDEX);
      }
      // The final flush is where the watchdog tells them; if it did not answer in time, we do.
      if (final) {
        tellSuppressedLines();
        Atomics.store(flags, EXITING_INDEX, 1);
        awaitNativeCapture();
      }
    },
    stop() {
      stopping = true;
      clearInterval(heartbeat);
      stopWatchingExits();
      // Workers created from now on have no watchdog to register with.
      setEnvironmentData(REGISTRY_KEY, undefined);
      void worker.terminate();
    },
  };
  return watchdog;
}

/**
 * `new Worker()` leaves work on the process.nextTick queue: `process.emit('worker', worker)`, and
 * with the default stdio the piping of the worker's stdout and stderr. Queued by the preload, that
 * tick makes Node drain the app's first microtasks from JavaScript (processTicksAndRejections)
 * instead of natively, and every stack the app takes there gets an extra
 * `at process.processTicksAndRejections` frame (`node --test` output, stack snapshots). So: stdio
 * of its own (the watchdog writes with fs.writeSync, never through process.stdout/stderr), and
 * the 'worker' event, still emitted for the app to see, from a microtask instead of a tick.
 */
function startWorkerUnseen(file: string, options: WorkerOptions): Worker {
  const deferred: Array<() => void> = [];
  // The property itself, put back as it was: the app must find the very same function there.
  const original = Object.getOwnPropertyDescriptor(process, 'nextTick');
  process.nextTick = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => void deferred.push(() => callback(...args))) as typeof process.nextTick;
  try {
    return new Worker(file, { ...options, stdout: true, stderr: true });
  } finally {
    if (original !== undefined) Object.defineProperty(process, 'nextTick', original);
    if (deferred.length > 0) queueMicrotask(() => deferred.forEach((run) => run()));
  }
}
