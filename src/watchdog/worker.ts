/**
 * The watchdog worker. It polls the main thread's heartbeat, and while the main thread is stuck it
 * captures where (inspector), re-samples long stalls, and writes the report and a log line itself:
 * a hung main thread can do none of that. It owns the stall aggregate and the report file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StallDetector, RateLimiter, type DetectorEvent } from './detector';
import { StackCapture } from './capture';
import { BEAT_INDEX, FLUSH_ACK_INDEX, HEARTBEAT_MS, POLL_MS, nsToMs, type FromWatchdog, type ToWatchdog, type WatchdogData } from './shared';
import { mapFrame, toFrames, type Frame } from '../stack/frames';
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
/** Slow sync calls remembered for matching with the stall they caused. */
const RECENT_SLOW_CALLS = 32;

interface OpenStall {
  beatNs: bigint;
  at: string;
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
const rules: AttributionRules = { appPaths: options.appPaths, agentRoot: data.agentRoot };
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
      open = { beatNs, at: new Date(Date.now() - event.elapsedMs).toISOString(), site: null, stack: [], samples: [], noStackReason: undefined, capturing: null };
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

function takeSample(stall: OpenStall, elapsedMs: number, after?: () => void): void {
  const current = capture;
  if (current === null) return;
  stall.capturing = current
    .sample(() => Atomics.load(beats, BEAT_INDEX) === stall.beatNs)
    .then((paused) => {
      if (paused === null) {
        if (stall.stack.length === 0) stall.noStackReason = 'the loop turned before the stack could be captured';
        return;
      }
      const stack = toFrames(paused.callFrames, paused.scriptUrls);
      if (stall.stack.length === 0) {
        stall.stack = stack;
        stall.site = siteOf(stack, rules);
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
  if (stall.capturing === null && capture !== null && (stall.stack.length > 0 || stall.noStackReason?.includes('rate-limited'))) {
    takeSample(stall, elapsedMs, finish);
  } else {
    finish();
  }
}

/** The main thread measured a stall's exact duration when its loop turned again. */
async function onStallMeasured(durationMs: number, endNs: bigint): Promise<void> {
  const stall = open;
  open = null;
  if (stall?.capturing) await stall.capturing;
  const call = slowCallWithin(endNs - BigInt(Math.round((durationMs + HEARTBEAT_MS) * 1e6)), endNs);
  // A sync call's own stack beats the inspector's: inside a native call the pause lands late.
  const callStack = call ? call.stack.map(mapFrame) : null;
  const stack = callStack ?? stall?.stack ?? [];
  const site = callStack ? siteOf(callStack, rules) : (stall?.site ?? null);
  const api = call?.api ?? null;
  const record: StallRecord = {
    at: stall?.at ?? new Date(Date.now() - durationMs).toISOString(),
    durationMs,
    threadId: 0,
    site,
    api,
    ...(call ? { apiCallMs: call.durationMs } : {}),
    kind: classifyStall({ api, site, stack }),
    stack,
    samples: stall?.samples ?? [],
    ...(site ? {} : { noStackReason: stall?.noStackReason ?? 'the stall ended before the watchdog saw it' }),
  };
  aggregate.add(record);
  logStall(record);
  send({ type: 'stall', durationMs, site: site ? shortLocation(site, data.cwd) : null, api, kind: record.kind, threadId: 0 });
  scheduleReport();
}

/** The longest slow sync call that ended inside [fromNs, toNs]. */
function slowCallWithin(fromNs: bigint, toNs: bigint): SlowCall | null {
  let best: SlowCall | null = null;
  for (const call of recentSlowCalls) {
    const end = BigInt(call.endNs);
    if (end >= fromNs && end <= toNs && (best === null || call.durationMs > best.durationMs)) best = call;
  }
  return best;
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
    if (final) {
      capture?.endNow();
      capture = null;
      const ongoing = ongoingRecord(nowNs);
      if (ongoing !== null) {
        open = null;
        delete ongoing.ongoing;
        aggregate.add(ongoing);
        logStall(ongoing);
      }
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

setInterval(() => {
  try {
    tick();
  } catch (error) {
    warn('LOOPWATCH_INTERNAL', `watchdog error: ${(error as Error).message}`);
  }
}, POLL_MS);
