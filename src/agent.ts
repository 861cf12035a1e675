/**
 * Starts and stops everything loopwatch does in a process: the stall watchdog (the core) and the
 * features listed in feature-list.ts. `start` returns a handle whose `stop` undoes exactly what `start` did.
 */
import { probeReportTarget } from './report/target';
import { DEFAULTS, expandPath, type Options } from './options';
import { parseSiteRule } from './stack/site-rules';
import { warn } from './warn';
import { chooseCapture } from './capture/choose';
import { startWatchdog, type Watchdog, type WatchdogHooks } from './watchdog/main';
import type { ToWatchdog } from './watchdog/shared';
import { createLiveStats, type BusyEvent, type FeatureContext, type LiveStats, type StallEvent } from './feature';
import { FEATURES } from './feature-list';
import { startHttpContext, type HttpContext } from './http/requests';
import { activeSpanLink } from './otel-api';
import { createRequestStore } from './http/store';

export interface Agent {
  readonly options: Readonly<Options>;
  /** Live counters, as the exporters read them. */
  readonly stats: LiveStats;
  /** Writes the JSON report now (when `LOOPWATCH_REPORT` is set). */
  flush(): void;
  stop(): void;
}

/** Feature sections reach the watchdog at most this often. */
const SECTIONS_DEBOUNCE_MS = 250;
const RUNNING = Symbol.for('loopwatch.agent');
type GlobalWithAgent = typeof globalThis & { [RUNNING]?: Agent };

/**
 * Starts loopwatch in this process. Calling it again returns the running agent, so a preload plus
 * a programmatic call (or a preload loaded twice) never starts two watchdogs.
 *
 *     node --require loopwatch/preload app.js
 */
export function start(overrides: Partial<Options> = {}): Agent {
  const holder = globalThis as GlobalWithAgent;
  const running = holder[RUNNING];
  if (running !== undefined) return running;
  const options = validate({ ...DEFAULTS, ...overrides });
  const stats = createLiveStats();
  if (options.mode === 'off') return { options, stats, flush() {}, stop() {} };

  // Before the capture path is chosen: the native module is told about the store when it registers this thread.
  if (options.exactRequests) guard(() => void createRequestStore());
  const capture = chooseCapture(options, warn);
  const reportWarned = options.report !== null && !checkReportFolder(expandPath(options.report, process.pid));
  const stallListeners: Array<(stall: StallEvent) => void> = [];
  const busyListeners: Array<(busy: BusyEvent) => void> = [];
  let watchdog: Watchdog | null = null;
  let http: HttpContext | null = null;
  /** What the features post before startWatchdog has returned, sent once it has. */
  let early: ToWatchdog[] | null = [];
  const post = (message: ToWatchdog): void => {
    if (watchdog !== null) watchdog.post(message);
    else early?.push(message);
  };

  const sections = new Map<string, () => unknown>();
  let sectionsTimer: NodeJS.Timeout | null = null;
  const sendSections = (): void => {
    if (sections.size === 0) return;
    const snapshot: Record<string, unknown> = {};
    for (const [name, take] of sections) guard(() => (snapshot[name] = take()));
    post({ type: 'sections', sections: snapshot });
  };
  const stops: Array<() => void> = [];
  /**
   * The request tracking and the features, with the watchdog's shared memory (`null`: the watchdog
   * could not be set up). Run before the watchdog's worker starts: see WatchdogHooks.beforeWorker.
   */
  let featuresStarted = false;
  const startFeatures = (shared: Parameters<NonNullable<WatchdogHooks['beforeWorker']>>[0] | null): void => {
    featuresStarted = true;
    if (shared !== null && options.requests) {
      try {
        // The heartbeat tells the request tracking which turn of the loop a request began and ended in.
        http = startHttpContext({ clock: shared.clock, traces: options.traces });
      } catch (error) {
        warn('LOOPWATCH_INTERNAL', `request context could not start (${(error as Error).message}); stalls are reported without their request`);
      }
    }
    const context: FeatureContext = {
      options,
      stats,
      warn,
      addReportSection: (name, snapshot) => void sections.set(name, snapshot),
      markDirty: () => {
        if (sectionsTimer !== null || options.report === null) return;
        sectionsTimer = setTimeout(() => {
          sectionsTimer = null;
          guard(sendSections);
        }, SECTIONS_DEBOUNCE_MS);
        sectionsTimer.unref();
      },
      slowCall: (call) => post({ type: 'slow-call', call }),
      currentRequest: () => http?.current(),
      ...(options.traces ? { activeSpan: activeSpanLink } : {}),
      onStall: (listener) => void stallListeners.push(listener),
      onBusy: (listener) => void busyListeners.push(listener),
      ...(shared !== null
        ? {
            syncCallSlot: shared.syncCallSlot,
            callSiteWanted: shared.callSiteWanted,
            declareSyncApis: (names: string[]) => post({ type: 'sync-api-names', names }),
          }
        : {}),
    };
    for (const feature of FEATURES) {
      try {
        stops.push(feature.start(context));
      } catch (error) {
        warn('LOOPWATCH_INTERNAL', `${feature.name} could not start (${(error as Error).message}); the rest of loopwatch runs`);
      }
    }
  };

  try {
    watchdog = startWatchdog(options, capture, {
      requestsAtStall: (stalledEpoch, capturedId) => http?.atStall(stalledEpoch, capturedId) ?? null,
      warn,
      // The user was told at start-up: the watchdog's failed writes would say it again in other words.
      warnedAtStart: reportWarned ? ['LOOPWATCH_REPORT_UNWRITABLE'] : [],
      onStall: (stall) => {
        for (const listener of stallListeners) guard(() => listener(stall));
      },
      onBusy: (busy) => {
        for (const listener of busyListeners) guard(() => listener(busy));
      },
      beforeWorker: startFeatures,
    });
  } catch (error) {
    warn('LOOPWATCH_WORKER_FAILED', `cannot start the watchdog worker (${(error as Error).message}); stall detection is off`);
  }
  if (watchdog === null) {
    // No heartbeat to tell the request tracking which turn of the loop it is.
    const started = http as HttpContext | null;
    if (started !== null) guard(() => started.stop());
    http = null;
  }
  if (!featuresStarted) startFeatures(null);
  const queued = early;
  early = null;
  if (watchdog !== null) for (const message of queued) watchdog.post(message);

  const flush = (): void =>
    guard(() => {
      sendSections();
      watchdog?.flush(false);
    });
  const onExit = (): void =>
    guard(() => {
      sendSections();
      watchdog?.flush(true);
    });
  // Only a report needs flushing; without one, exit stays as fast as without loopwatch, unless
  // the exit ends a stall (see Watchdog.exitWithoutReport).
  const needsFlush = options.report !== null;
  const onExitWithoutReport = (): void => guard(() => watchdog?.exitWithoutReport());
  process.on('exit', needsFlush ? onExit : onExitWithoutReport);
  // No SIGTERM/SIGINT listener: one would replace "die on signal", and a main thread blocked in a
  // native call could then not be killed at all. The watchdog keeps the report on disk current
  // instead (within REPORT_DEBOUNCE_MS of every stall, and at a hang).

  const agent: Agent = {
    options,
    stats,
    flush,
    stop() {
      for (const stop of [...stops].reverse()) guard(stop);
      if (http !== null) guard(() => http?.stop());
      if (sectionsTimer !== null) clearTimeout(sectionsTimer);
      process.removeListener('exit', onExit);
      process.removeListener('exit', onExitWithoutReport);
      watchdog?.stop();
      watchdog = null;
      if (holder[RUNNING] === agent) delete holder[RUNNING];
    },
  };
  holder[RUNNING] = agent;
  return agent;
}

/**
 * Says at start-up, not at exit, that the report cannot be written: at exit the main thread is
 * too far gone to print the watchdog's warning.
 */
function checkReportFolder(reportPath: string): boolean {
  const target = probeReportTarget(reportPath, process.pid);
  if (!('problem' in target)) return true;
  warn('LOOPWATCH_REPORT_UNWRITABLE', `cannot write LOOPWATCH_REPORT=${reportPath} (${target.problem}); no report will be written`);
  return false;
}

/** Runs loopwatch's own code on the app's thread: an error is reported, never thrown into the app. */
function guard(run: () => void): void {
  try {
    run();
  } catch (error) {
    warn('LOOPWATCH_INTERNAL', `internal error contained: ${(error as Error).message}`);
  }
}

/** Misuse of the programmatic API is a bug in the caller's code: it throws, unlike bad env values. */
function validate(options: Options): Options {
  const positive = ['thresholdMs', 'hangMs', 'sampleIntervalMs', 'maxSites', 'maxStalls', 'logLinesPerMinute'] as const;
  for (const key of positive) {
    if (typeof options[key] !== 'number' || !(options[key] > 0)) throw new TypeError(`loopwatch: options.${key} must be a positive number`);
  }
  if (!['off', 'production', 'debug'].includes(options.mode)) throw new TypeError('loopwatch: options.mode must be off, production or debug');
  if (!['auto', 'native', 'inspector', 'off'].includes(options.capture)) throw new TypeError('loopwatch: options.capture must be auto, native, inspector or off');
  if (options.hangMs < options.thresholdMs) throw new TypeError('loopwatch: options.hangMs must be >= options.thresholdMs');
  const port = options.metricsPort;
  if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new TypeError('loopwatch: options.metricsPort must be null or an integer from 0 to 65535');
  }
  if (typeof options.metricsHost !== 'string' || options.metricsHost === '') throw new TypeError('loopwatch: options.metricsHost must be a host name or address');
  if (!Number.isInteger(options.floatingSample) || options.floatingSample < 1) {
    throw new TypeError('loopwatch: options.floatingSample must be a positive integer (1 = every promise)');
  }
  if (!Number.isInteger(options.metricsMaxSites) || options.metricsMaxSites < 1) {
    throw new TypeError('loopwatch: options.metricsMaxSites must be a positive integer');
  }
  const ignoreSites: unknown = options.ignoreSites;
  if (!Array.isArray(ignoreSites) || !ignoreSites.every((entry) => typeof entry === 'string' && parseSiteRule(entry, process.cwd(), true) !== null)) {
    throw new TypeError('loopwatch: options.ignoreSites must be an array of file, folder or glob entries, each with an optional :line (see LOOPWATCH_IGNORE_SITES)');
  }
  return options;
}
