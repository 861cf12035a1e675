/**
 * What the main thread, the app worker threads and the watchdog share: the shared-memory layouts
 * and the messages. The watchdog imports no main-thread module (agent.ts, the features), so it
 * cannot start another agent by accident; it does use the report, log, options and stack modules.
 */
import type { Options } from '../options';
import type { WarningCode } from '../codes';
import type { BusyEvent, SlowCall, StallEvent } from '../feature';
import type { CapturePath } from '../capture/choose';
import type { MapsAnswer } from '../stack/map-lookup';
import type { RequestsAtStall } from '../http/requests';

/** Heartbeat period of the main thread; the error bound of a stall duration. */
export const HEARTBEAT_MS = 10;
/** How often the watchdog looks at the heartbeats while a stall is going on. */
export const POLL_MS = 10;
/**
 * The longest the watchdog sleeps between polls while no stall is going on (see
 * WatchdogCore.nextPollInMs): app threads that register meanwhile are found at the next poll.
 */
export const IDLE_POLL_MAX_MS = 100;

/**
 * Layout of the SharedArrayBuffer. Slot 0 of the BigInt64 view holds the main thread's last
 * heartbeat (process.hrtime.bigint(), monotonic and the same clock in every thread). The Int32 view
 * holds the exit handshake: the worker stores the flush sequence it finished and notifies.
 */
export const SHARED_BYTES = 72;
export const BEAT_INDEX = 0;
export const FLUSH_ACK_INDEX = 4;
/** Int32 slot the worker sets to 1 once it is up: a flush waits longer for a worker still booting. */
export const READY_INDEX = 5;
/**
 * Int32 slot: how many inspector sessions the worker holds on app worker threads. At exit without a
 * report the main thread skips the flush handshake, unless this is non-zero: a session still attached
 * to a worker thread that is stuck as the process exits prints "Waiting for the debugger to disconnect...".
 */
export const THREAD_SESSIONS_INDEX = 6;
/**
 * Int32 slot: which sync API the main thread is inside right now (1 + its index in the list sent
 * with `sync-api-names`), 0 when none. Written by the sync-API wrappers at entry and exit, so the
 * watchdog knows a stall is a native call it cannot pause inside, even while the call still runs.
 */
export const SYNC_CALL_INDEX = 7;
/**
 * Int32 slot the main thread sets to 1 as the process exits without a report (no flush handshake).
 * With THREAD_SESSIONS_INDEX it closes the race between exiting and a new worker-thread capture:
 * the main thread sets this then reads the session count, the watchdog counts a session then reads
 * this; with sequentially consistent Atomics one of them sees the other.
 */
export const EXITING_INDEX = 8;
/**
 * Int32 slot: stall log lines the rate limit swallowed and no notice has told yet. Shared, so that
 * at exit without a report (no flush, where the watchdog tells them itself) the main thread can.
 */
export const SUPPRESSED_LINES_INDEX = 9;
/**
 * Int32 slot: how many of the main thread's measured stalls the watchdog has recorded (logged,
 * counted). At exit without a report, a stall the main thread posted and the watchdog has not
 * recorded yet (its message still queued, or its capture in flight) needs the flush handshake,
 * or it is lost with the process.
 */
export const MAIN_STALLS_RECORDED_INDEX = 10;
/**
 * Int32 slot: 1 while the capture thread is inside a native capture (src/watchdog/capture-thread.ts).
 * The capture waits for every registered thread to take a V8 interrupt. An exiting main thread
 * waits a little for it to clear (see NATIVE_CAPTURE_EXIT_WAIT_MS in main.ts): once it runs no
 * more JavaScript it can take no interrupt, and Node's exit joins the capture thread, which would
 * then wait out the module's 5 s limit.
 */
export const NATIVE_CAPTURE_INDEX = 11;
/**
 * Int32 slot the watchdog sets to 1 when a main-thread stall starts inside a sync API: the next
 * wrapped sync call to return takes its caller's stack and sends it, however short it was, and
 * clears the slot (see wrap.ts). A loop of many short calls then still names its line.
 */
export const CALL_SITE_WANTED_INDEX = 12;
/**
 * BigInt64 slot (bytes 56-63): the main thread's event-loop active time so far, in microseconds
 * (`performance.eventLoopUtilization().active`, about 30 ns a read), written at each heartbeat from
 * ACTIVE_AFTER_MS on. The watchdog reads the loop's utilisation from it (src/watchdog/busy.ts).
 */
export const LOOP_ACTIVE_INDEX = 7;
/**
 * The first read can load Node's perf_hooks (11 modules, when the sync-API timing has not): half a
 * second in, so no short-lived process and no start-up pays for it. A busy window is seconds long anyway.
 */
export const ACTIVE_AFTER_MS = 500;
/**
 * Int32 slot: the id of the HTTP request (src/http/requests.ts) whose async context the native
 * capture found the main thread blocked in, read from loopwatch's AsyncLocalStorage (Node 24 and
 * later); 0 for none. Written by the capture thread, with the stall's heartbeat in
 * CAPTURED_REQUEST_BEAT_INDEX first: the main thread takes the id only for the stall it measures.
 */
export const CAPTURED_REQUEST_INDEX = 13;
/** BigInt64 slot (bytes 64-71): the heartbeat of the stall CAPTURED_REQUEST_INDEX belongs to. */
export const CAPTURED_REQUEST_BEAT_INDEX = 8;
/**
 * Int32 slot: `beatMark` of the main thread's heartbeat the watchdog found stale past the threshold
 * (a stall going on), written at stall-start. Read on every HTTP request (src/http/requests.ts):
 * equal to the mark of the main thread's own last beat means "this turn is a stall", for the price
 * of one array read instead of a clock read.
 */
export const STALLED_BEAT_INDEX = 14;

/** A heartbeat as a small, non-zero number that tells consecutive beats apart (they are ~10 ms apart, far less than 2^31 ns). */
export function beatMark(beatNs: bigint): number {
  return Number(beatNs & 0x7fffffffn) | 1;
}

/** Marks the watchdog's own worker so the preload never starts an agent inside it. */
export const WATCHDOG_MARK = '__loopwatchWatchdog';

export interface WatchdogData {
  [WATCHDOG_MARK]: true;
  shared: SharedArrayBuffer;
  options: Options;
  pid: number;
  cwd: string;
  startedAt: string;
  /** loopwatch's own folders (dist/ and, source-mapped, src/): its frames are never the blocking site. */
  agentRoots: string[];
  /** How the watchdog reads a blocked thread's stack (see src/capture/choose.ts). */
  capture: CapturePath;
  /** Why there is no capture path, when `capture` is 'off'. */
  noCaptureReason?: string;
  /** Warning codes the main thread already printed at start-up. */
  warnedAtStart: WarningCode[];
  /** `--no-warnings`: the watchdog's own warnings at exit (see WatchdogCore.warn) stay silent too. */
  noWarnings: boolean;
  /** The app worker threads' registry (see REGISTRY_KEY). */
  registry: SharedArrayBuffer;
  /**
   * The main module as Node was given it (`process.argv[1]`), absent without one: advice never has
   * a worker require it, and when it is inside node_modules its package owns the stalls no app
   * frame is in (src/stack/main-package.ts).
   */
  mainModule?: string;
}

/** Main thread -> watchdog. */
export type ToWatchdog =
  | { type: 'stall'; durationMs: number; endNs: string; http?: RequestsAtStall }
  | { type: 'flush'; seq: number; nowNs: string; final: boolean }
  | { type: 'slow-call'; call: SlowCall }
  /** The names of the timed sync APIs, in the numbering the SYNC_CALL_INDEX slot uses. */
  | { type: 'sync-api-names'; names: string[] }
  /** The latest snapshot of each feature's report section (see FeatureContext.addReportSection). */
  | { type: 'sections'; sections: Record<string, unknown> }
  /** A worker thread the main thread created has ended (see src/watchdog/thread-exits.ts). */
  | { type: 'thread-exit'; threadId: number }
  /** Start-up is over (src/watchdog/startup-end.ts): stalls that begin later are `runtime`. */
  | { type: 'startup-ended'; endNs: string }
  /** The answer to `source-maps-wanted` (src/stack/memory-maps.ts). */
  | { type: 'source-maps'; id: number; answer: MapsAnswer };

/**
 * The registry of app worker threads: a SharedArrayBuffer the main thread publishes with
 * `worker_threads.setEnvironmentData` before the app runs, so every worker (nested ones too)
 * inherits it at creation, whether or not the watchdog is up yet. Registering is claiming a slot:
 * no message that could be lost (a BroadcastChannel message posted before the watchdog listens is
 * lost, and a thread that blocks right away cannot answer a later hello).
 */
export const REGISTRY_KEY = 'loopwatch.threads';
/** Tells app worker threads (src/watchdog/app-thread.ts) which capture path the watchdog uses, the same way. */
export const CAPTURE_PATH_KEY = 'loopwatch.capture';
/** App worker threads watched at once; later ones are not watched. */
export const REGISTRY_SLOTS = 256;
/**
 * Per slot, 16 bytes: the Int32 threadId (0 = free) at Int32 index 4*slot, the thread's running
 * sync API at 4*slot+1 (as SYNC_CALL_INDEX is the main thread's), the heartbeat at BigInt64 index 2*slot+1.
 */
export const REGISTRY_BYTES = REGISTRY_SLOTS * 16;
export function slotIdIndex(slot: number): number {
  return slot * 4;
}
export function slotSyncCallIndex(slot: number): number {
  return slot * 4 + 1;
}
export function slotBeatIndex(slot: number): number {
  return slot * 2 + 1;
}

/**
 * The BroadcastChannel that app worker threads and the watchdog share (one per process: channels
 * never cross processes). An app worker's preload cannot reach the watchdog any other way: the
 * watchdog's Worker object and port belong to the main thread.
 */
export function threadsChannelName(pid: number): string {
  return `loopwatch:threads:${pid}`;
}

/**
 * App worker thread -> watchdog, on the threads channel. `unregister` comes last, after the
 * thread's final stall: the watchdog frees the slot then (the thread never does, so a stall
 * message still on its way finds its thread).
 */
export type ThreadMessage =
  | { type: 'unregister'; threadId: number; slot: number }
  | { type: 'stall'; threadId: number; durationMs: number; endNs: string }
  | { type: 'slow-call'; threadId: number; call: SlowCall }
  /** A worker thread this one created has ended; `threadId` is the ended thread's. */
  | { type: 'thread-exit'; threadId: number };

/** Watchdog -> main thread. */
export type FromWatchdog =
  | { type: 'warning'; code: WarningCode; message: string }
  | ({ type: 'stall' } & StallEvent)
  /** Busy time of a saturated loop attributed to a site (src/watchdog/busy.ts); null: no site. */
  | ({ type: 'busy' } & BusyEvent)
  /** The source maps of code transformed in the main thread's memory, asked for after a stall (src/stack/memory-maps.ts). */
  | { type: 'source-maps-wanted'; id: number; files: string[] };

export function nsToMs(ns: bigint): number {
  return Number(ns) / 1e6;
}
