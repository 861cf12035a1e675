/**
 * The shape every concern of loopwatch shares (sync-API timing, promise diagnostics, metrics...):
 * `start(context)` returns a `stop()` that undoes exactly what `start` did. Features run on the
 * app's main thread; what they learn reaches the report through the watchdog worker.
 */
import type { StallKind } from './stall-kind';
import type { Phase } from './phase';
import type { Options } from './options';
import type { WarningCode } from './codes';
import type { Frame } from './stack/frames';

/** Part of a saturated loop's busy time, at a site (src/watchdog/busy.ts): no stall, many short callbacks. */
export interface BusyEvent {
  /** Like StallEvent's site; null when the samples named none. */
  site: string | null;
  ms: number;
}

/**
 * The HTTP request a stall happened in (src/http/requests.ts): `route` is the framework's template
 * or the path with its ids folded. `exact: false` is a guess from timing, never silent.
 */
export interface StallRequest {
  method: string;
  route: string;
  exact: boolean;
  /** The request's OpenTelemetry span, when the app traces requests (src/http/request-spans.ts). */
  trace?: SpanLink;
}

/** An OpenTelemetry span context, as plain data: it crosses to the watchdog and into the report. */
export interface SpanLink {
  traceId: string;
  spanId: string;
  /** W3C trace flags; bit 0 says the trace is sampled. */
  traceFlags: number;
}

/** The span a stall happened in; `exact: false` when it is its guessed request's (docs/report.md, "Requests"). */
export type StallTrace = SpanLink & { exact: boolean };

/** The line a stall was blocked at, absolute and source-mapped: what a stall's trace span names. */
export interface StallCode {
  file: string;
  line: number;
  column: number;
  function: string;
}

/** A completed stall, as the main thread hears of it after its loop turned again. */
export interface StallEvent {
  durationMs: number;
  /** `src/orders.ts:17`, relative to the working directory; null when no stack was captured. */
  site: string | null;
  /** The blocking sync API, when the stall overlapped a slow sync call (`crypto.pbkdf2Sync`). */
  api: string | null;
  /** What kind of blocking it was (stall-kind.ts). */
  kind: StallKind;
  threadId: number;
  /** Start-up or runtime (phase.ts). */
  phase: Phase;
  /**
   * Its site is in LOOPWATCH_IGNORE_SITES: counted as ignored (loopwatch_eventloop_ignored_stalls_total)
   * and nowhere else. One channel with a flag, so a listener that forgets it over-counts rather
   * than misses a kind of stall.
   */
  ignored?: true;
  /** `GET /users/:id`: the request it happened in, when known (src/http/requests.ts). */
  route?: string;
  /** Other requests in flight when it ended, which it delayed; absent when no HTTP request was ever served. */
  inFlight?: number;
  /** The span the stall is recorded in (src/otel/stall-spans.ts). */
  trace?: StallTrace;
  /** With `trace`: the blocking line, and when the stall ended (process.hrtime.bigint(), as a string). */
  code?: StallCode;
  endNs?: string;
}

/** A synchronous call that took long enough to matter, reported with its exact duration. */
export interface SlowCall {
  api: string;
  durationMs: number;
  /**
   * Not slow by itself: the watchdog asked for the next call's site while a stall that started in a
   * sync API went on (CALL_SITE_WANTED_INDEX). Names the stall's line only when nothing else does.
   */
  duringStall?: true;
  /** process.hrtime.bigint() when the call returned, as a string (bigints do not cross postMessage well). */
  endNs: string;
  /** The caller's stack, 1-based, not yet source-mapped (the worker maps it). */
  stack: Frame[];
  /** The HTTP request the call ran in, read from loopwatch's AsyncLocalStorage (exact). */
  request?: StallRequest;
  /** The OpenTelemetry span active as the call returned, when the app traces. */
  trace?: SpanLink;
}

/** Counters and totals that exporters (Prometheus, OpenTelemetry) read at collection time. */
export interface LiveStats {
  syncApis: Map<string, { calls: number; totalMs: number; slowCalls: number; maxMs: number }>;
  unhandledRejections: number;
  rejectionsHandledLate: number;
  floatingPromises: number;
}

export interface FeatureContext {
  readonly options: Readonly<Options>;
  readonly stats: LiveStats;
  warn(code: WarningCode, message: string): void;
  /**
   * Adds a top-level section to the JSON report. `snapshot` is called (on the main thread) when
   * the section changed (see `markDirty`) and before the report is written at exit; it must return
   * plain, bounded, JSON-serialisable data.
   */
  addReportSection(name: string, snapshot: () => unknown): void;
  /** Says a report section changed; snapshots are sent to the watchdog at most once per 250 ms (SECTIONS_DEBOUNCE_MS in agent.ts). */
  markDirty(): void;
  /** Tells the watchdog about a slow sync call, so a stall it caused is attributed to it exactly. */
  slowCall(call: SlowCall): void;
  onStall(listener: (stall: StallEvent) => void): void;
  /** Busy time of a saturated loop, as the watchdog attributes it, once a second while busy. */
  onBusy(listener: (busy: BusyEvent) => void): void;
  /**
   * Where the sync-API wrappers say which API is running (1 + its index in `declareSyncApis`'s
   * list, 0 for none), so the watchdog does not spend a stack capture on a native call it cannot
   * pause inside, and can name the call while a hang goes on. Absent off the main thread.
   */
  readonly syncCallSlot?: Int32Array;
  /** Set by the watchdog when it wants the next sync call's site, however short (CALL_SITE_WANTED_INDEX). */
  readonly callSiteWanted?: Int32Array;
  declareSyncApis?(names: string[]): void;
  /** The HTTP request whose code runs now, when known exactly (src/http/requests.ts). */
  currentRequest?(): StallRequest | undefined;
  /** The OpenTelemetry span active now, when the app traces (src/otel-api.ts). */
  activeSpan?(): SpanLink | undefined;
}

export type Feature = (context: FeatureContext) => () => void;

export function createLiveStats(): LiveStats {
  return { syncApis: new Map(), unhandledRejections: 0, rejectionsHandledLate: 0, floatingPromises: 0 };
}
