/**
 * Merges the reports of several processes (a cluster's workers, pods writing to a shared volume)
 * into one view: `loopwatch report a.json b.json dir/`.
 *
 * Sites are keyed by file, line, phase and thread *kind*: a worker's `threadId` differs from
 * process to process, so every worker thread's site at a line is one site. Counts and totals are
 * summed, with per-process counts in `processes`; the worst occurrence (stack, column, api, kind,
 * advice) is kept. A merged report given as an input merges again: its processes carry over.
 */
import { countRoute } from '../report/aggregate';
import type { BusyView, ProcessView, RejectionView, ReportView, SiteView, StallView, SyncApiStats, FloatingView } from './load-report';

export interface MergeInput {
  /** How the user named the report, for the process label (`<pid>@<file>`). */
  file: string;
  report: ReportView;
}

/** `maxStalls`: how many of the longest stalls to keep; by default as many as the largest input kept. */
export function mergeReports(inputs: readonly MergeInput[], maxStalls?: number): ReportView {
  if (inputs.length === 0) throw new TypeError('mergeReports needs at least one report');
  const processes: ProcessView[] = [];
  const sites = new Map<string, SiteView>();
  const stalls: StallView[] = [];
  for (const { file, report } of inputs) {
    const own = processesOf(file, report);
    processes.push(...own);
    const label = own.length === 1 ? own[0]!.label : undefined;
    for (const site of report.sites) addSite(sites, site, site.processes ?? (label !== undefined ? { [label]: site.count } : {}));
    for (const stall of report.stalls) stalls.push(stall.pid !== undefined ? stall : { ...stall, pid: report.pid });
  }
  const reports = inputs.map((input) => input.report);
  const keep = maxStalls ?? Math.max(...reports.map((report) => report.stalls.length));
  const first = reports[0]!;
  return {
    pid: first.pid,
    startedAt: earliest(reports.map((report) => report.startedAt)),
    writtenAt: latest(reports.map((report) => report.writtenAt)),
    reason: 'merge',
    mode: distinct(reports.map((report) => report.mode)),
    // The lowest: a stall the most sensitive process recorded is one it counts.
    thresholdMs: Math.min(...reports.map((report) => report.thresholdMs)),
    node: distinct(reports.map((report) => report.node)),
    stacks: reports.some((report) => report.stacks),
    ...(reports.every((report) => !report.stacks) && first.stacksUnavailable !== undefined ? { stacksUnavailable: first.stacksUnavailable } : {}),
    summary: {
      stalls: sum(reports, (report) => report.summary.stalls),
      totalBlockedMs: round(sum(reports, (report) => report.summary.totalBlockedMs)),
      maxStallMs: Math.max(...reports.map((report) => report.summary.maxStallMs)),
      startup: {
        stalls: sum(reports, (report) => report.summary.startup.stalls),
        totalBlockedMs: round(sum(reports, (report) => report.summary.startup.totalBlockedMs)),
      },
    },
    sites: [...sites.values()].map((site) => ({ ...site, totalMs: round(site.totalMs) })).sort((a, b) => b.totalMs - a.totalMs),
    overflow: {
      sites: sum(reports, (report) => report.overflow.sites),
      count: sum(reports, (report) => report.overflow.count),
      totalMs: round(sum(reports, (report) => report.overflow.totalMs)),
      maxMs: Math.max(...reports.map((report) => report.overflow.maxMs)),
    },
    ignored: {
      count: sum(reports, (report) => report.ignored.count),
      totalMs: round(sum(reports, (report) => report.ignored.totalMs)),
      bySite: sumCounts(reports.map((report) => report.ignored.bySite)),
    },
    unattributed: {
      count: sum(reports, (report) => report.unattributed.count),
      totalMs: round(sum(reports, (report) => report.unattributed.totalMs)),
      maxMs: Math.max(...reports.map((report) => report.unattributed.maxMs)),
      reasons: sumCounts(reports.map((report) => report.unattributed.reasons)),
    },
    stalls: stalls.sort((a, b) => b.durationMs - a.durationMs).slice(0, keep),
    busy: {
      periods: sum(reports, (report) => report.busy.periods),
      totalMs: round(sum(reports, (report) => report.busy.totalMs)),
      unattributedMs: round(sum(reports, (report) => report.busy.unattributedMs)),
      sites: mergeBusySites(reports.flatMap((report) => report.busy.sites)),
    },
    syncApis: mergeSyncApis(reports.map((report) => report.syncApis)),
    floating: mergeBy(
      reports.flatMap((report) => report.floating),
      (finding) => `${finding.file}:${finding.line}:${finding.column}`,
      (into: FloatingView, finding) => (into.count += finding.count),
    ),
    rejections: mergeBy(
      reports.flatMap((report) => report.rejections),
      (rejection) => `${rejection.message}\0${rejection.location !== null ? `${rejection.location.file}:${rejection.location.line}` : ''}`,
      (into: RejectionView, rejection) => (into.count += rejection.count),
    ),
    merged: { processes },
  };
}

/** The processes a report stands for: itself, or those a merged report already lists. */
function processesOf(file: string, report: ReportView): ProcessView[] {
  if (report.merged !== undefined) return report.merged.processes;
  const { pid, node, startedAt, mode, summary } = report;
  return [{ label: `${pid}@${file}`, pid, file, node, startedAt, mode, stalls: summary.stalls, totalBlockedMs: summary.totalBlockedMs }];
}

/** The key a site merges by: a worker thread's id is meaningless across processes. */
export function siteKey(site: Pick<SiteView, 'file' | 'line' | 'phase' | 'threadId'>): string {
  return `${site.threadId === 0 ? 'main' : 'worker'}:${site.phase}:${site.file}:${site.line}`;
}

function addSite(sites: Map<string, SiteView>, site: SiteView, processes: Record<string, number>): void {
  const key = siteKey(site);
  const existing = sites.get(key);
  if (existing === undefined) {
    sites.set(key, { ...site, processes: { ...processes } });
    return;
  }
  const worst = site.maxMs > existing.maxMs ? site : existing;
  sites.set(key, {
    ...worst,
    count: existing.count + site.count,
    totalMs: existing.totalMs + site.totalMs,
    maxMs: worst.maxMs,
    processes: sumCounts([existing.processes ?? {}, processes]),
    ...mergedRoutes(existing.routes, site.routes),
  });
}

/** Routes summed, bounded as one process bounds them (MAX_ROUTES_PER_SITE, then `other`). */
function mergedRoutes(a: Record<string, number> | undefined, b: Record<string, number> | undefined): { routes?: Record<string, number> } {
  if (a === undefined && b === undefined) return {};
  const routes: Record<string, number> = {};
  for (const [route, count] of Object.entries(a ?? {})) countRoute(routes, route, count);
  for (const [route, count] of Object.entries(b ?? {})) countRoute(routes, route, count);
  return { routes };
}

function mergeSyncApis(sections: ReadonlyArray<Record<string, SyncApiStats>>): Record<string, SyncApiStats> {
  const out: Record<string, SyncApiStats> = {};
  for (const section of sections) {
    for (const [api, stats] of Object.entries(section)) {
      const into = out[api];
      out[api] =
        into === undefined
          ? { ...stats }
          : { calls: into.calls + stats.calls, totalMs: round(into.totalMs + stats.totalMs), slowCalls: into.slowCalls + stats.slowCalls, maxMs: Math.max(into.maxMs, stats.maxMs) };
    }
  }
  return out;
}

/** Entries with the same key become one (the first seen, `add` folding the others in), most frequent first. */
function mergeBy<T extends { count: number }>(items: readonly T[], key: (item: T) => string, add: (into: T, item: T) => void): T[] {
  const out = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    const into = out.get(k);
    if (into === undefined) out.set(k, { ...item });
    else add(into, item);
  }
  return [...out.values()].sort((a, b) => b.count - a.count);
}

/** Busy sites summed by line, the busiest first. */
function mergeBusySites(sites: BusyView['sites']): BusyView['sites'] {
  const out = new Map<string, BusyView['sites'][number]>();
  for (const site of sites) {
    const key = `${site.file}:${site.line}`;
    const into = out.get(key);
    if (into === undefined) out.set(key, { ...site });
    else {
      into.busyMs = round(into.busyMs + site.busyMs);
      into.samples += site.samples;
    }
  }
  return [...out.values()].sort((a, b) => b.busyMs - a.busyMs);
}

function sumCounts(maps: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const map of maps) for (const [key, count] of Object.entries(map)) out[key] = (out[key] ?? 0) + count;
  return out;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

/** One value when all agree (`production`), else each distinct one (`production, debug`). */
function distinct(values: readonly string[]): string {
  return [...new Set(values)].join(', ');
}

function earliest(times: readonly string[]): string {
  return [...times].filter((time) => time !== '').sort()[0] ?? '';
}

function latest(times: readonly string[]): string {
  return [...times].filter((time) => time !== '').sort().at(-1) ?? '';
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
