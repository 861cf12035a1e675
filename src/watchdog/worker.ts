/**
 * The watchdog worker. It polls the main thread's heartbeat, and while the main thread is stuck it
 * captures where (inspector), re-samples long stalls, and writes the report and a log line itself:
 * a hung main thread can do none of that. It owns the stall aggregate and the report file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StallDetector, RateLimiter, type DetectorEvent } from './detector';
import { StackCapture } from './capture';
import { BEAT_INDEX, FLUSH_ACK_INDEX, HEARTBEAT_MS, POLL_MS, READY_INDEX, RELEASE_SIGNALS_KEY, nsToMs, type FromWatchdog, type ToWatchdog, type WatchdogData } from './shared';
import { keptFrames, mapFrame, toFrames, type Frame } from '../stack/frames';
import { classifyStall } from '../report/classify';
import type { SlowCall } from '../feature';
import { siteOf, shortLocation, type AttributionRules } from '../stack/attribution';
import { StallAggregate, type StallRecord } from '../report/aggregate';
import { buildReport, writeReportFile, type ReportContext } from '../report/report';
import { StallLog } from '../log';
import { expandPath } from '../options';
import type { WarningCode } from '../codes';

/** Report writes after a stall are batched: at most one per this period. */
const REPORT_DEBOUNCE_MS = 1000;
/** Constant code run on the paused main thread at a hang; never anything derived from app data. */
const RELEASE_SIGNALS_EXPRESSION = `globalThis[Symbol.for('${RELEASE_SIGNALS_KEY}')]?.()`;
/** Slow sync calls remembered for matching with the stall they caused. */
const RECENT_SLOW_CALLS = 32;

interface OpenStall {
  beatNs: bigint;
  at: string;
  /** How late the heartbeat was when the watchdog noticed (detection latency, minus < 1 heartbeat). */
  detectedAfterMs: number;
  /** From detection to the first stack in hand. */
  captureMs?: number;
  site: Frame | null;
  stack: Frame[];
  samples: StallRecord['samples'];
  noStackReason: string | undefined;
  capturing: Promise<void> | null;
}

const data = workerData as WatchdogData;
const options = data.options;
const beats = new BigInt64Array(data.shared);
const flags = new Int32Array(data.shared);
const rules: AttributionRules = { appPaths: options.appPaths, agentRoots: data.agentRoots };
const reportPath = options.report === null ? null : expandPath(options.report, data.pid);
const context: ReportContext = {
  pid: data.pid,
  startedAt: data.startedAt,
  mode: options.mode,
  thresholdMs: options.thresholdMs,
  hangMs: options.hangMs,
  stacks: data.canCapture,
  ...(data.canCapture ? {} : { stacksUnavailable: 'inspector unavailable or in use by a debugger' }),
};

const detector = new StallDetector({
  thresholdMs: options.thresholdMs,
  hangMs: options.hangMs,
  heartbeatMs: HEARTBEAT_MS,
  sampleIntervalMs: options.sampleIntervalMs,
  maxSamples: options.maxSamples,
});
const aggregate = new StallAggregate(options.maxSites, options.maxStalls);
const captureLimiter = new RateLimiter(options.maxCapturesPerMinute, 60_000, Date.now());
let capture: StackCapture | null = data.canCapture ? new StackCapture() : null;
const warnedOnce = new Set<string>();
const log = new StallLog(options.log, options.logFormat, options.logLinesPerMinute, (message) =>
  warn('LOOPWATCH_LOG_UNWRITABLE', message),
);

let open: OpenStall | null = null;
/** Stalls the main thread measured whose stack capture is still in flight. */
const awaitingCapture = new Set<{ stall: OpenStall; durationMs: number; endNs: bigint }>();
let sections: Record<string, unknown> = {};
const recentSlowCalls: SlowCall[] = [];
let reportTimer: NodeJS.Timeout | null = null;
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
  const beatNs = Atomics.load(beats, BEAT_INDEX);
  for (const event of detector.poll(nsToMs(process.hrtime.bigint()), nsToMs(beatNs))) handle(event, beatNs);
}

function handle(event: DetectorEvent, beatNs: bigint): void {
  switch (event.type) {
    case 'stall-start': {
      open = {
        beatNs,
        at: new Date(Date.now() - event.elapsedMs).toISOString(),
        detectedAfterMs: event.elapsedMs,
        site: null,
        stack: [],
        samples: [],
        noStackReason: undefined,
        capturing: null,
      };
      if (capture === null) open.noStackReason = 'stack capture unavailable';
      else if (!captureLimiter.tryTake(Date.now())) open.noStackReason = 'stack capture rate-limited (LOOPWATCH_MAX_CAPTURES_PER_MIN)';
      else takeSample(open, 0);
      return;
    }
    case 'sample':
      if (open !== null && open.capturing === null && open.stack.length > 0) takeSample(open, event.elapsedMs);
      return;
    case 'hang':
      if (open !== null) onHang(open, event.elapsedMs);
      return;
    case 'stall-resumed':
      void capture?.end();
      return;
  }
}

function takeSample(stall: OpenStall, elapsedMs: number, after?: () => void, evaluateWhilePaused?: string): void {
  const current = capture;
  if (current === null) return;
  const startedNs = process.hrtime.bigint();
  stall.capturing = current
    .sample(() => Atomics.load(beats, BEAT_INDEX) === stall.beatNs, evaluateWhilePaused)
    .then((paused) => {
      if (paused === null) {
        if (stall.stack.length === 0) stall.noStackReason = 'the loop turned before the stack could be captured';
        return;
      }
      const frames = toFrames(paused.callFrames, paused.scriptUrls);
      const site = siteOf(frames, rules);
      const stack = keptFrames(frames, site);
      if (stall.stack.length === 0) {
        stall.captureMs = Math.round(nsToMs(process.hrtime.bigint() - startedNs) * 10) / 10;
        stall.stack = stack;
        stall.site = site;
        stall.noStackReason = undefined;
      } else {
        stall.samples.push({ atMs: Math.round(elapsedMs), stack });
      }
    })
    .catch((error: unknown) => {
      stall.noStackReason = 'stack capture failed';
      warn('LOOPWATCH_NO_INSPECTOR', `stack capture failed (${(error as Error).message}); stalls are still timed, without stacks`);
      capture = null;
    })
    .finally(() => {
      stall.capturing = null;
      after?.();
    });
}

function onHang(stall: OpenStall, elapsedMs: number): void {
  const finish = (): void => {
    const where = stall.site !== null ? ` at ${shortLocation(stall.site, data.cwd)} (${stall.site.function})` : '';
    writeReport('hang');
    const written = reportPath !== null ? `; report written to ${reportPath}` : '';
    log.always(`event loop blocked for ${Math.round(elapsedMs)} ms and still blocked${where}${written}`, {
      event: 'hang',
      elapsedMs: Math.round(elapsedMs),
      ...siteFields(stall.site),
    });
  };
  // A hung thread never runs the report-flushing signal listeners, and while they are installed
  // SIGTERM cannot kill it: this sample also releases them, so the signal's default (death) applies
  // again. It waits for a capture in flight: one pause at a time.
  const sampleAndRelease = (): void => {
    if (capture !== null && open === stall) takeSample(stall, elapsedMs, finish, RELEASE_SIGNALS_EXPRESSION);
    else finish();
  };
  if (stall.capturing !== null) void stall.capturing.then(sampleAndRelease);
  else sampleAndRelease();
}

/** The main thread measured a stall's exact duration when its loop turned again. */
async function onStallMeasured(durationMs: number, endNs: bigint): Promise<void> {
  const stall = open;
  open = null;
  if (stall?.capturing) {
    // Wait for the capture in flight, unless a flush needs this stall first (see onFlush).
    const measured = { stall, durationMs, endNs };
    awaitingCapture.add(measured);
    await stall.capturing;
    if (!awaitingCapture.delete(measured)) return;
  }
  recordStall(stall, durationMs, endNs);
}

function recordStall(stall: OpenStall | null, durationMs: number, endNs: bigint): void {
  const record = stallRecord(stall, durationMs, endNs);
  aggregate.add(record);
  logStall(record);
  send({ type: 'stall', durationMs, site: record.site ? shortLocation(record.site, data.cwd) : null, api: record.api, kind: record.kind, threadId: 0 });
  scheduleReport();
}

/**
 * What is known of a stall once it is over: the inspector's stack, unless a slow sync call ended
 * inside it. A sync call's own stack beats the inspector's: a pause cannot land inside a native
 * call, so it lands late, after the caller moved on.
 */
function stallRecord(stall: OpenStall | null, durationMs: number, endNs: bigint): StallRecord {
  const calls = slowCallsWithin(endNs - BigInt(Math.round((durationMs + HEARTBEAT_MS) * 1e6)), endNs);
  const call = calls.reduce<SlowCall | null>((longest, each) => (longest === null || each.durationMs > longest.durationMs ? each : longest), null);
  const callFrames = call ? call.stack.map(mapFrame) : null;
  const site = callFrames ? siteOf(callFrames, rules) : (stall?.site ?? null);
  const stack = callFrames ? keptFrames(callFrames, site) : (stall?.stack ?? []);
  const api = call?.api ?? null;
  return {
    at: stall?.at ?? new Date(Date.now() - durationMs).toISOString(),
    durationMs,
    threadId: 0,
    site,
    api,
    ...(call ? { apiCallMs: call.durationMs } : {}),
    ...(calls.length > 1 ? { syncCalls: calls.map((each) => ({ api: each.api, durationMs: each.durationMs, site: siteOf(each.stack.map(mapFrame), rules) })) } : {}),
    kind: classifyStall({ api, site, stack }),
    ...(stall ? { detectedAfterMs: Math.round(stall.detectedAfterMs * 10) / 10 } : {}),
    ...(stall?.captureMs !== undefined ? { captureMs: stall.captureMs } : {}),
    stack,
    samples: stall?.samples ?? [],
    ...(site ? {} : { noStackReason: stall?.noStackReason ?? 'the stall ended before the watchdog saw it' }),
  };
}

/** The slow sync calls that ended inside [fromNs, toNs]: they happened during the stall. */
function slowCallsWithin(fromNs: bigint, toNs: bigint): SlowCall[] {
  return recentSlowCalls.filter((call) => {
    const end = BigInt(call.endNs);
    return end >= fromNs && end <= toNs;
  });
}

function logStall(record: StallRecord): void {
  const ms = Math.round(record.durationMs);
  const inApi = record.api !== null ? ` in ${record.api} (${Math.round(record.apiCallMs ?? 0)} ms)` : '';
  const text =
    record.site !== null
      ? `event loop blocked ${ms} ms${inApi} at ${shortLocation(record.site, data.cwd)} (${record.site.function})`
      : `event loop blocked ${ms} ms (no stack: ${record.noStackReason ?? 'unknown'})`;
  log.line(text, { event: 'stall', durationMs: ms, api: record.api, kind: record.kind, ...siteFields(record.site) });
}

/** Debug mode logs every slow sync call, like asyncio debug mode logs every slow callback. */
function logSlowCall(call: SlowCall): void {
  const site = siteOf(call.stack.map(mapFrame), rules);
  const where = site !== null ? ` at ${shortLocation(site, data.cwd)} (${site.function})` : '';
  log.line(`slow sync call ${call.api} took ${Math.round(call.durationMs)} ms${where}`, {
    event: 'slow-call',
    api: call.api,
    durationMs: Math.round(call.durationMs),
    ...siteFields(site),
  });
}

function siteFields(site: Frame | null): Record<string, string | number | null> {
  return site === null ? { file: null, line: null } : { file: site.file, line: site.line, column: site.column, function: site.function };
}

function ongoingRecord(nowNs: bigint): StallRecord | null {
  if (open === null) return null;
  return {
    at: open.at,
    durationMs: nsToMs(nowNs - open.beatNs) - HEARTBEAT_MS,
    threadId: 0,
    site: open.site,
    api: null,
    kind: classifyStall({ api: null, site: open.site, stack: open.stack }),
    stack: open.stack,
    samples: open.samples,
    ongoing: true,
    ...(open.site ? {} : { noStackReason: open.noStackReason ?? 'capture in progress' }),
  };
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

function writeReport(reason: string, ongoing: StallRecord | null = ongoingRecord(process.hrtime.bigint())): void {
  if (reportPath === null) return;
  reportDirty = false;
  try {
    writeReportFile(reportPath, buildReport(context, aggregate, reason, ongoing, sections));
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
    for (const measured of awaitingCapture) recordStall(measured.stall, measured.durationMs, measured.endNs);
    awaitingCapture.clear();
    if (final) {
      capture?.endNow();
      capture = null;
      const stall = open;
      open = null;
      // The main thread measured (beat) before flushing, so a stall still open here was shorter
      // than the threshold as the main thread sees it, or its message is lost: record it only
      // if it is long enough by the shared heartbeat.
      const lateMs = stall === null ? 0 : nsToMs(nowNs - stall.beatNs) - HEARTBEAT_MS;
      if (stall !== null && lateMs >= options.thresholdMs) recordStall(stall, lateMs, nowNs);
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
        void onStallMeasured(message.durationMs, BigInt(message.endNs));
        break;
      case 'flush':
        onFlush(message.seq, BigInt(message.nowNs), message.final);
        break;
      case 'slow-call':
        recentSlowCalls.push(message.call);
        if (recentSlowCalls.length > RECENT_SLOW_CALLS) recentSlowCalls.shift();
        if (options.mode === 'debug') logSlowCall(message.call);
        break;
      case 'sections':
        sections = message.sections;
        scheduleReport();
        break;
    }
  } catch (error) {
    warn('LOOPWATCH_INTERNAL', `watchdog error: ${(error as Error).message}`);
  }
});

Atomics.store(flags, READY_INDEX, 1);

setInterval(() => {
  try {
    tick();
  } catch (error) {
    warn('LOOPWATCH_INTERNAL', `watchdog error: ${(error as Error).message}`);
  }
}, POLL_MS);
