/**
 * Where the watchdog's findings go: each finished stall becomes one record in the aggregate, one
 * log line, one message to the main thread (for the metrics) and a report write; slow sync calls
 * are remembered to be matched with the stalls they caused.
 */
import { RecentSlowCalls } from './slow-calls';
import { finishedRecord, ongoingRecord } from './stall-record';
import { busyEndLine, busyStartLine, hangLine, slowCallLine, stallLine, type LogLine } from './stall-lines';
import { BusyAggregate, type BusySection } from '../report/busy';
import { classifyStall } from '../report/classify';
import { siteSuggestion } from '../advice/cached';
import type { BusyStep } from './busy';
import { HEARTBEAT_MS, nsToMs, type FromWatchdog, type WatchdogData } from './shared';
import type { OpenStall } from './watched';
import { mapFrame } from '../stack/frames';
import { siteOf, shortLocation, type AttributionRules } from '../stack/attribution';
import { StallAggregate, type StallRecord } from '../report/aggregate';
import { buildReport, type Report, type ReportContext } from '../report/report';
import { ReportWriter } from '../report/writer';
import type { SlowCall, StallCode } from '../feature';
import type { LogFields } from '../log';
import type { WarningCode } from '../codes';
import { phaseAt } from '../phase';
import { resolveEntry } from '../stack/source';
import { matchesSiteRule, parseSiteRules, type SiteRule } from '../stack/site-rules';
import type { Frame } from '../stack/frames';
import type { Phase } from '../phase';
import type { RequestsAtStall } from '../http/requests';
import { routeKey } from '../http/route';

/** Slow sync calls remembered for matching with the stall they caused. */
const RECENT_SLOW_CALLS = 32;
/** Sites kept for the line at a busy period's end (only the top one is named). */
const BUSY_PERIOD_SITES = 100;

/** Where stall lines go (src/log.ts's AgentLog). */
export interface StallLog {
  line(text: string, fields: LogFields): void;
  /** Not rate-limited: the hang line. */
  always(text: string, fields: LogFields): void;
  /** Tells the lines the rate limit swallowed. */
  reportSuppressed(): void;
}

export interface RecorderParts {
  data: WatchdogData;
  rules: AttributionRules;
  reportPath: string | null;
  log: StallLog;
  send(message: FromWatchdog): void;
  warn(code: WarningCode, message: string): void;
  writeReportFile(path: string, report: Report): void;
  setTimeout(callback: () => void, ms: number): unknown;
  /** The main thread's stall going on, as the report shows it. */
  ongoing(): StallRecord | null;
}

export class StallRecorder {
  private readonly aggregate: StallAggregate;
  private readonly recentSlowCalls = new RecentSlowCalls(RECENT_SLOW_CALLS);
  private sections: Record<string, unknown> = {};
  /** When the main thread said start-up was over (src/watchdog/startup-end.ts); null until then. */
  private startupEndedNs: bigint | null = null;
  /** LOOPWATCH_IGNORE_SITES, against the directory the app started in (options.ts checked each entry). */
  private readonly ignoreRules: SiteRule[];
  private readonly busy: BusyAggregate;
  /** The busy period going on: its time, and each site's part of it (for the line at its end). */
  private busyPeriod: { ms: number; bySite: Map<string, { site: Frame; ms: number }> } | null = null;
  readonly report: ReportWriter;
  readonly rules: AttributionRules;

  constructor(private readonly parts: RecorderParts) {
    const { data } = parts;
    const options = data.options;
    this.rules = parts.rules;
    this.aggregate = new StallAggregate(options.maxSites, options.maxStalls);
    this.ignoreRules = parseSiteRules(options.ignoreSites, data.cwd, true).rules;
    const context: ReportContext = {
      pid: data.pid,
      startedAt: data.startedAt,
      mode: options.mode,
      thresholdMs: options.thresholdMs,
      hangMs: options.hangMs,
      stacks: data.capture !== 'off',
      capture: data.capture,
      ...(data.capture === 'off' ? { stacksUnavailable: data.noCaptureReason ?? 'stack capture unavailable' } : {}),
      entryFiles: resolveEntry(data.mainModule),
    };
    this.busy = new BusyAggregate(options.maxSites);
    this.report = new ReportWriter({
      path: parts.reportPath,
      build: (reason, current) => buildReport(context, this.aggregate, reason, current, { ...this.sections, busy: this.busySection(context.entryFiles ?? []) }),
      ongoing: () => parts.ongoing(),
      writeFile: (path, report) => parts.writeReportFile(path, report),
      onError: (error) => parts.warn('LOOPWATCH_REPORT_UNWRITABLE', `cannot write LOOPWATCH_REPORT=${parts.reportPath} (${error.message})`),
      setTimeout: (callback, ms) => parts.setTimeout(callback, ms),
    });
  }

  /** A finished stall: aggregated, logged, told to the main thread, reported. */
  record(threadId: number, stall: OpenStall | null, durationMs: number, endNs: bigint, http?: RequestsAtStall): void {
    const calls = this.recentSlowCalls.endedWithin(threadId, endNs - BigInt(Math.round((durationMs + HEARTBEAT_MS) * 1e6)), endNs);
    const phase = phaseAt(endNs - BigInt(Math.round(durationMs * 1e6)), this.startupEndedNs);
    const record = finishedRecord(threadId, stall, durationMs, calls, this.parts.rules, phase, http);
    const site = record.site ? shortLocation(record.site, this.parts.data.cwd) : null;
    // Matched on the final site (source-mapped, slow sync calls considered): the line the report would show.
    const ignored = site !== null && this.isIgnored(record.site, phase);
    if (ignored) this.aggregate.addIgnored(site, record.durationMs);
    else {
      this.aggregate.add(record);
      this.writeLine(stallLine(record, this.parts.data.cwd));
    }
    this.parts.send({
      type: 'stall',
      durationMs: record.durationMs,
      site,
      api: record.api,
      kind: record.kind,
      threadId,
      phase,
      ...(ignored ? { ignored: true as const } : {}),
      ...(record.request !== undefined ? { route: routeKey(record.request) } : {}),
      ...(record.inFlight !== undefined ? { inFlight: record.inFlight } : {}),
      // What the stall's span needs (src/otel/stall-spans.ts), only when there is a trace to put it in.
      ...(record.trace !== undefined ? { trace: record.trace, endNs: String(endNs), ...(record.site ? { code: codeOf(record.site) } : {}) } : {}),
    });
    this.report.schedule();
  }

  /** One second of a busy loop: its time split over the sites its samples landed on. */
  busyStep(step: BusyStep): void {
    const samples = step.stacks.map((stack) => {
      const frames = stack.map(mapFrame);
      const site = siteOf(frames, this.parts.rules);
      return { site: site !== null && this.isIgnored(site, 'runtime') ? null : site, stack: frames };
    });
    for (const { site, ms } of this.busy.addStep(step.activeMs, samples)) {
      this.parts.send({ type: 'busy', site: site !== null ? shortLocation(site, this.parts.data.cwd) : null, ms });
      const period = this.busyPeriod;
      if (period === null) continue;
      period.ms += ms;
      if (site === null) continue;
      const key = `${site.file}:${site.line}`;
      const known = period.bySite.get(key);
      if (known !== undefined) known.ms += ms;
      else if (period.bySite.size < BUSY_PERIOD_SITES) period.bySite.set(key, { site, ms });
    }
    this.report.schedule();
  }

  /** The loop turned busy, or calm again: one line each. */
  busyChanged(busy: boolean, utilisation: number): void {
    const { options, cwd } = this.parts.data;
    if (busy) {
      this.busy.periods += 1;
      this.busyPeriod = { ms: 0, bySite: new Map() };
      this.writeLine(busyStartLine(utilisation, options.busyWindowMs, options.thresholdMs));
      return;
    }
    const period = this.busyPeriod;
    this.busyPeriod = null;
    if (period === null) return;
    let top: { site: Frame; ms: number } | null = null;
    for (const each of period.bySite.values()) if (top === null || each.ms > top.ms) top = each;
    this.writeLine(busyEndLine(period.ms, top, cwd));
  }

  startupEnded(endNs: bigint): void {
    this.startupEndedNs = endNs;
  }

  rememberSlowCall(threadId: number, call: SlowCall): void {
    this.recentSlowCalls.add(threadId, call);
    if (this.parts.data.options.mode === 'debug' && call.duringStall !== true) {
      this.writeLine(slowCallLine(threadId, call, siteOf(call.stack.map(mapFrame), this.parts.rules), this.parts.data.cwd));
    }
  }

  /** The features' report sections (promises, sync APIs, ...), as the main thread last sent them. */
  setSections(sections: Record<string, unknown>): void {
    this.sections = sections;
    this.report.schedule();
  }

  /** A hang: the report now, and a line that no rate limit swallows. */
  hang(threadId: number, stall: OpenStall, elapsedMs: number, inApi: string | null, ongoing: StallRecord | null): void {
    this.report.write('hang', ongoing);
    // An ignored site hangs without a line (and without a stall in the report: see ongoingRecord).
    if (this.isIgnored(stall.site, phaseAt(stall.beatNs, this.startupEndedNs))) return;
    const line = hangLine({ elapsedMs, threadId, inApi, site: stall.site, reportPath: this.parts.reportPath }, this.parts.data.cwd);
    this.parts.log.always(line.text, line.fields);
  }

  /**
   * A stall still going on, as the report shows it; null at an ignored site. Matched on the site
   * known so far: when the stall ends, slow sync calls can still name another one (see record).
   */
  ongoingRecord(threadId: number, stall: OpenStall, nowNs: bigint, inApi: string | null): StallRecord | null {
    const phase = phaseAt(stall.beatNs, this.startupEndedNs);
    if (this.isIgnored(stall.site, phase)) return null;
    return ongoingRecord(threadId, stall, nsToMs(nowNs - stall.beatNs) - HEARTBEAT_MS, inApi, phase);
  }

  /** The report's `busy` section, each site with its advice (read from disk: this is the watchdog's thread). */
  private busySection(entryFiles: readonly string[]): BusySection & { sites: Array<BusySection['sites'][number] & { suggestion: string }> } {
    const section = this.busy.section(this.parts.data.options.busyPercent, this.parts.data.options.busyWindowMs);
    return {
      ...section,
      sites: section.sites.map((site) => ({ ...site, suggestion: siteSuggestion({ ...site, api: null, kind: classifyStall({ api: null, site, stack: site.stack }), phase: 'runtime' }, entryFiles) })),
    };
  }

  /** Whether LOOPWATCH_IGNORE_SITES names this site (in this phase). */
  private isIgnored(site: Frame | null, phase: Phase): boolean {
    return site !== null && this.ignoreRules.length > 0 && matchesSiteRule(site, this.ignoreRules, this.parts.data.cwd, phase);
  }

  private writeLine(line: LogLine): void {
    this.parts.log.line(line.text, line.fields);
  }
}

function codeOf(site: Frame): StallCode {
  return { file: site.file, line: site.line, column: site.column, function: site.function };
}
