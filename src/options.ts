import * as path from 'node:path';
import { booleanWord } from './boolean-words';
import type { WarningCode } from './codes';
import { parseSiteRule } from './stack/site-rules';

export type Mode = 'off' | 'production' | 'debug';
export type LogFormat = 'text' | 'json';
/** How stacks are read (src/capture/choose.ts decides what `auto` means here). */
export type CapturePath = 'native' | 'inspector' | 'off';
export type CaptureChoice = 'auto' | CapturePath;

/** Everything loopwatch can be told. Read from `LOOPWATCH_*` by {@link readOptionsFromEnv}. */
export interface Options {
  /** `LOOPWATCH_MODE`: `off` does nothing, `debug` lowers the threshold. @default 'production' */
  mode: Mode;
  /** `LOOPWATCH_THRESHOLD_MS`: a stall is a loop turn this late. @default 100 (50 in debug mode) */
  thresholdMs: number;
  /** `LOOPWATCH_HANG_MS`: a stall this long is a hang: the report is written while still stuck. @default 5000 */
  hangMs: number;
  /** `LOOPWATCH_REPORT`: JSON report path; `{pid}` is replaced by the process id. @default null (no report) */
  report: string | null;
  /** `LOOPWATCH_LOG`: `stderr`, `off`, or a file path (appended to). @default 'stderr' */
  log: string;
  /** `LOOPWATCH_LOG_FORMAT`: `text` lines or `json` lines. @default 'text' */
  logFormat: LogFormat;
  /**
   * `LOOPWATCH_APP_PATHS`: comma-separated path prefixes that hold the app's own code. A stall is
   * attributed to its topmost frame under one of them.
   * @default [] (any file outside node_modules and Node's internals)
   */
  appPaths: string[];
  /** `LOOPWATCH_STACKS`: capture the blocked thread's stack; `off` is `LOOPWATCH_CAPTURE=off`. @default true */
  stacks: boolean;
  /**
   * `LOOPWATCH_CAPTURE`: how the stack is read. `native` (no debugger), `inspector` (pauses the
   * thread: can abort V8), `off`, or `auto`: native where it loads, else off. @default 'auto'
   */
  capture: CaptureChoice;
  /** `LOOPWATCH_MAX_CAPTURES_PER_MIN`: stack captures allowed per minute (stalls are always counted). @default 30 */
  maxCapturesPerMinute: number;
  /** `LOOPWATCH_SAMPLE_MS`: how often a long stall is re-sampled. @default 100 */
  sampleIntervalMs: number;
  /** `LOOPWATCH_MAX_SAMPLES`: re-samples kept per stall. @default 50 */
  maxSamples: number;
  /** `LOOPWATCH_MAX_SITES`: distinct call sites kept; the rest are merged into `overflow`. @default 1000 */
  maxSites: number;
  /** `LOOPWATCH_MAX_STALLS`: individual stalls kept in the report (the longest). @default 100 */
  maxStalls: number;
  /** `LOOPWATCH_LOG_PER_MIN`: stall log lines per minute before lines are suppressed and counted. @default 60 */
  logLinesPerMinute: number;
  /** `LOOPWATCH_SYNC_APIS`: time fs/crypto/zlib/child_process `*Sync` calls and JSON.parse/stringify. @default true */
  syncApis: boolean;
  /** `LOOPWATCH_SLOW_CALL_MS`: a sync call this long is "slow": its call site is captured. @default 10 */
  slowCallMs: number;
  /**
   * `LOOPWATCH_METRICS_PORT`: serve Prometheus `/metrics` on this port; `0` picks a free port (printed
   * once on stderr). @default null (no server)
   */
  metricsPort: number | null;
  /** `LOOPWATCH_METRICS_HOST`: the interface `/metrics` listens on; `0.0.0.0` is an explicit choice. @default '127.0.0.1' */
  metricsHost: string;
  /** `LOOPWATCH_METRICS_MAX_SITES`: `site` label values kept in metrics; the rest become `other`. @default 50 */
  metricsMaxSites: number;
  /**
   * `LOOPWATCH_FLOATING`: detect promises never awaited or handled (promise hooks: costs throughput).
   * @default false (true in debug mode, or when LOOPWATCH_FLOATING_SAMPLE is set)
   */
  floating: boolean;
  /** `LOOPWATCH_FLOATING_SAMPLE`: track 1 promise in N for floating detection. @default 100 (1, every promise, in debug mode) */
  floatingSample: number;
  /**
   * `LOOPWATCH_FLOATING_IGNORE`: comma-separated intentional fire-and-forget sites, each a file or
   * folder (relative to the working directory, or a path tail) or a `*`/`**` glob, with an optional `:line`.
   * @default []
   */
  floatingIgnore: string[];
  /**
   * `LOOPWATCH_IGNORE_SITES`: comma-separated accepted blockers, in the format of
   * `LOOPWATCH_FLOATING_IGNORE`, each optionally prefixed `startup:` or `runtime:`. A stall at one
   * is counted in the report's `ignored` section and `loopwatch_eventloop_ignored_stalls_total`
   * only: no log line, no site, no stall metrics. Entries that cannot be used are skipped.
   * @default []
   */
  ignoreSites: string[];
  /**
   * `LOOPWATCH_STALL_CONTEXT`: in debug mode, also name the async callback each stall ran in and
   * where it was scheduled (async_hooks with a stack per resource: costly). Ignored outside debug mode.
   * @default false
   */
  stallContext: boolean;
  /**
   * `LOOPWATCH_BUSY_PERCENT`: a main thread whose event loop is busy at least this share of the time
   * over `LOOPWATCH_BUSY_WINDOW_MS`, with no stall needed, is sampled at 10 Hz and its busy time
   * attributed to sites (the report's `busy` section). `0` turns it off. @default 80
   */
  busyPercent: number;
  /** `LOOPWATCH_BUSY_WINDOW_MS`: the window `LOOPWATCH_BUSY_PERCENT` is measured over. @default 5000 */
  busyWindowMs: number;
  /**
   * `LOOPWATCH_REQUESTS`: name the HTTP request each stall happened in and the requests it delayed
   * (docs/report.md, "Requests"). `off` removes the request tracking (and its channel subscriptions)
   * altogether. @default true
   */
  requests: boolean;
  /**
   * `LOOPWATCH_EXACT_REQUESTS`: on Node 24 and later, keep the HTTP request being served in an
   * AsyncLocalStorage of loopwatch's own, so a stall names its request exactly (read by the native
   * capture and by slow sync calls) instead of guessing it from timing. Costly: +22% CPU per request
   * and +120 MiB RSS on the overhead bench (docs/benchmarks.md). No effect before Node 24. @default false
   */
  exactRequests: boolean;
  /**
   * `LOOPWATCH_TRACES`: in an app that traces with OpenTelemetry, record each stall as a span in the
   * trace of the request or call it happened in (docs/report.md, "Traces"). `off` for a test suite
   * that counts its spans exactly. @default true
   */
  traces: boolean;
}

export const DEFAULTS: Readonly<Options> = Object.freeze({
  mode: 'production',
  thresholdMs: 100,
  hangMs: 5000,
  report: null,
  log: 'stderr',
  logFormat: 'text',
  appPaths: [],
  stacks: true,
  capture: 'auto',
  maxCapturesPerMinute: 30,
  sampleIntervalMs: 100,
  maxSamples: 50,
  maxSites: 1000,
  maxStalls: 100,
  logLinesPerMinute: 60,
  syncApis: true,
  slowCallMs: 10,
  metricsPort: null,
  metricsHost: '127.0.0.1',
  metricsMaxSites: 50,
  floating: false,
  floatingSample: 100,
  floatingIgnore: [],
  ignoreSites: [],
  stallContext: false,
  busyPercent: 80,
  busyWindowMs: 5000,
  exactRequests: false,
  requests: true,
  traces: true,
});

/** The debug-mode threshold, like asyncio debug mode but twice as strict. */
export const DEBUG_THRESHOLD_MS = 50;

export interface OptionWarning {
  code: WarningCode;
  message: string;
}

/**
 * Reads options from the environment. Never throws: a value it cannot use becomes a warning and the
 * default, because a preload must never crash its host.
 */
export function readOptionsFromEnv(env: NodeJS.ProcessEnv): { options: Options; warnings: OptionWarning[] } {
  const warnings: OptionWarning[] = [];
  const bad = (name: string, value: string, expected: string, fallback: unknown): void => {
    warnings.push({
      code: 'LOOPWATCH_BAD_ENV',
      message: `${name}=${JSON.stringify(truncate(value))} is not ${expected}; using ${JSON.stringify(fallback)}`,
    });
  };
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const choice = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    bad(name, value, `one of ${allowed.join(', ')}`, fallback);
    return fallback;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      bad(name, value, `an integer from ${min} to ${max}`, fallback);
      return fallback;
    }
    return parsed;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const word = booleanWord(value);
    if (word !== undefined) return word;
    bad(name, value, 'a boolean (1/0, true/false, yes/no, on/off)', fallback);
    return fallback;
  };

  const port = (name: string, fallback: number | null): number | null => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
      bad(name, value, 'a port from 0 to 65535', fallback);
      return fallback;
    }
    return parsed;
  };

  const list = (name: string, valid: (entry: string) => boolean, expected: string, fallback: string[]): string[] => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (entries.length === 0 || !entries.every(valid)) {
      bad(name, value, expected, fallback);
      return fallback;
    }
    return entries;
  };

  const mode = choice('LOOPWATCH_MODE', ['off', 'production', 'debug'] as const, DEFAULTS.mode);
  const defaultThreshold = mode === 'debug' ? DEBUG_THRESHOLD_MS : DEFAULTS.thresholdMs;
  const thresholdMs = integer('LOOPWATCH_THRESHOLD_MS', defaultThreshold, 20, 600_000);
  const hangMs = integer('LOOPWATCH_HANG_MS', Math.max(DEFAULTS.hangMs, thresholdMs), thresholdMs, 3_600_000);

  const warningsBeforeSample = warnings.length;
  const floatingSample = integer('LOOPWATCH_FLOATING_SAMPLE', mode === 'debug' ? 1 : DEFAULTS.floatingSample, 1, 1_000_000);
  // Setting a sample rate turns detection on; a rejected value is no setting at all.
  const floatingSampleSet = raw('LOOPWATCH_FLOATING_SAMPLE') !== undefined && warnings.length === warningsBeforeSample;
  const floating = flag('LOOPWATCH_FLOATING', mode === 'debug' || floatingSampleSet);
  const floatingIgnore = list('LOOPWATCH_FLOATING_IGNORE', (entry) => validIgnoreEntry(entry, false), 'a comma-separated list of file or folder paths, each with an optional :line', DEFAULTS.floatingIgnore);

  // Entry by entry: one mistyped entry must not bring back every blocker the others silence.
  const ignoreSitesValue = raw('LOOPWATCH_IGNORE_SITES') ?? '';
  const ignoreEntries = ignoreSitesValue
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const ignoreSites = ignoreEntries.filter((entry) => validIgnoreEntry(entry, true));
  const skipped = ignoreEntries.filter((entry) => !ignoreSites.includes(entry));
  if (skipped.length > 0) {
    warnings.push({
      code: 'LOOPWATCH_BAD_ENV',
      message: `LOOPWATCH_IGNORE_SITES=${JSON.stringify(truncate(ignoreSitesValue))}: skipping ${skipped.map((entry) => JSON.stringify(truncate(entry))).join(', ')}, not a file, folder or glob with an optional :line; ${ignoreSites.length} other entr${ignoreSites.length === 1 ? 'y applies' : 'ies apply'}`,
    });
  }

  const exactRequests = flag('LOOPWATCH_EXACT_REQUESTS', DEFAULTS.exactRequests);
  const options: Options = {
    mode,
    thresholdMs,
    hangMs,
    report: reportPath(raw('LOOPWATCH_REPORT') ?? DEFAULTS.report),
    log: logDestination(raw('LOOPWATCH_LOG') ?? DEFAULTS.log),
    logFormat: choice('LOOPWATCH_LOG_FORMAT', ['text', 'json'] as const, DEFAULTS.logFormat),
    appPaths: (raw('LOOPWATCH_APP_PATHS') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
    stacks: flag('LOOPWATCH_STACKS', DEFAULTS.stacks),
    capture: choice('LOOPWATCH_CAPTURE', ['auto', 'native', 'inspector', 'off'] as const, DEFAULTS.capture),
    maxCapturesPerMinute: integer('LOOPWATCH_MAX_CAPTURES_PER_MIN', DEFAULTS.maxCapturesPerMinute, 0, 6000),
    sampleIntervalMs: integer('LOOPWATCH_SAMPLE_MS', DEFAULTS.sampleIntervalMs, 10, 60_000),
    maxSamples: integer('LOOPWATCH_MAX_SAMPLES', DEFAULTS.maxSamples, 0, 1000),
    maxSites: integer('LOOPWATCH_MAX_SITES', DEFAULTS.maxSites, 1, 100_000),
    maxStalls: integer('LOOPWATCH_MAX_STALLS', DEFAULTS.maxStalls, 1, 10_000),
    logLinesPerMinute: integer('LOOPWATCH_LOG_PER_MIN', DEFAULTS.logLinesPerMinute, 1, 100_000),
    metricsPort: port('LOOPWATCH_METRICS_PORT', DEFAULTS.metricsPort),
    metricsHost: raw('LOOPWATCH_METRICS_HOST') ?? DEFAULTS.metricsHost,
    metricsMaxSites: integer('LOOPWATCH_METRICS_MAX_SITES', DEFAULTS.metricsMaxSites, 1, 10_000),
    syncApis: flag('LOOPWATCH_SYNC_APIS', DEFAULTS.syncApis),
    slowCallMs: integer('LOOPWATCH_SLOW_CALL_MS', DEFAULTS.slowCallMs, 1, 600_000),
    floating,
    floatingSample,
    floatingIgnore,
    ignoreSites,
    stallContext: flag('LOOPWATCH_STALL_CONTEXT', DEFAULTS.stallContext),
    busyPercent: integer('LOOPWATCH_BUSY_PERCENT', DEFAULTS.busyPercent, 0, 100),
    busyWindowMs: integer('LOOPWATCH_BUSY_WINDOW_MS', DEFAULTS.busyWindowMs, 1000, 3_600_000),
    exactRequests,
    // Exact requests need the tracking: asking for them keeps it on.
    requests: flag('LOOPWATCH_REQUESTS', DEFAULTS.requests) || exactRequests,
    traces: flag('LOOPWATCH_TRACES', DEFAULTS.traces),
  };
  return { options, warnings };
}

/** `path`, `path:line` (line >= 1), globs (src/stack/site-rules.ts); `:12` names no file. */
function validIgnoreEntry(entry: string, phases: boolean): boolean {
  // Validity does not depend on the directory: any will do.
  return parseSiteRule(entry, process.cwd(), phases) !== null;
}

/** Replaces `{pid}` so children that inherit the environment do not overwrite each other's report. */
export function expandPath(template: string, pid: number): string {
  return template.split('{pid}').join(String(pid));
}

/**
 * Resolved once, against the directory the app started in: the watchdog writes the report all
 * along and an app that calls process.chdir() must not send it elsewhere halfway.
 */
function reportPath(value: string | null): string | null {
  return value === null ? null : path.resolve(value);
}

function logDestination(value: string): string {
  return value === 'stderr' || value === 'off' ? value : path.resolve(value);
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
