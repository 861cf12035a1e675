/**
 * Reads a `loopwatch/report@1` file for the CLI and fills in what older or partial reports lack
 * (a report written during a hang, a feature section from a newer version), so renderers never
 * check for undefined. Feature sections are optional and read defensively.
 */
import * as fs from 'node:fs';
import { suggest } from '../advice/suggest';
import { diskSources } from '../stack/source';
import type { Frame } from '../stack/frames';
import type { SiteRecord, StallRecord } from '../report/aggregate';
import type { ApiCounter } from '../sync-api/wrap';
import { STALL_KINDS, type StallKind } from '../stall-kind';
import type { Phase } from '../phase';
import { REPORT_SCHEMA, type Report } from '../report/report';
import { UsageError } from './usage-error';
import { validSpanIds } from '../otel-api';

/** The report's types as the watchdog writes them, minus what renderers never read. */
export type SiteView = SiteRecord & {
  suggestion: string;
  /** In a merged report (merge.ts): stalls at this site per contributing process, keyed `<pid>@<file>`. */
  processes?: Record<string, number>;
};
export type StallView = Pick<
  StallRecord,
  'at' | 'durationMs' | 'threadId' | 'site' | 'api' | 'apiCallMs' | 'kind' | 'phase' | 'stack' | 'samples' | 'ongoing' | 'noStackReason' | 'request' | 'inFlight' | 'trace'
> & {
  /** In a merged report: the process the stall happened in. */
  pid?: number;
};
export type SyncApiStats = ApiCounter;

export interface FloatingView extends Frame {
  count: number;
}

export interface RejectionView {
  message: string;
  count: number;
  location: Frame | null;
  stack: Frame[];
}

/** The report as the renderers read it: the writer's own types (report.ts), its feature sections normalized. */
export type ReportView = Pick<Report, 'pid' | 'startedAt' | 'writtenAt' | 'reason' | 'thresholdMs' | 'node' | 'stacks' | 'stacksUnavailable' | 'summary' | 'overflow' | 'unattributed' | 'ignored'> & {
  /** A string, not `Mode`: a report from a newer version may name a mode this one does not know. */
  mode: string;
  sites: SiteView[];
  stalls: StallView[];
  syncApis: Record<string, SyncApiStats>;
  floating: FloatingView[];
  rejections: RejectionView[];
  /** Present when the report merges several (merge.ts): the processes that contributed. */
  merged?: { processes: ProcessView[] };
  busy: BusyView;
};

/** A saturated loop's busy time by site (docs/report.md, "Busy loop"); zeros in reports from before it. */
export interface BusyView {
  periods: number;
  totalMs: number;
  unattributedMs: number;
  sites: Array<Frame & { busyMs: number; samples: number }>;
}

/** One process that contributed to a merged report. */
export interface ProcessView {
  /** `<pid>@<file>`: pids repeat across hosts and containers, the report's file tells them apart. */
  label: string;
  pid: number;
  file: string;
  node: string;
  startedAt: string;
  mode: string;
  stalls: number;
  totalBlockedMs: number;
}

export function loadReport(file: string): ReportView {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON (is it a loopwatch report?)`);
  }
  return normalizeReport(raw, file);
}

export function normalizeReport(raw: unknown, file = 'the report'): ReportView {
  const r = record(raw);
  if (r.schema !== REPORT_SCHEMA) throw new UsageError(`${file} is not a loopwatch report (schema ${REPORT_SCHEMA})`);
  const sites = list(r.sites).map((site) => normalizeSite(record(site)));
  const promises = record(r.promises);
  return {
    pid: num(r.pid),
    startedAt: str(r.startedAt),
    writtenAt: str(r.writtenAt),
    reason: str(r.reason),
    mode: str(r.mode),
    thresholdMs: num(r.thresholdMs),
    node: str(r.node),
    stacks: r.stacks !== false,
    ...(typeof r.stacksUnavailable === 'string' ? { stacksUnavailable: r.stacksUnavailable } : {}),
    summary: {
      stalls: num(record(r.summary).stalls),
      totalBlockedMs: num(record(r.summary).totalBlockedMs),
      maxStallMs: num(record(r.summary).maxStallMs),
      startup: { stalls: num(record(record(r.summary).startup).stalls), totalBlockedMs: num(record(record(r.summary).startup).totalBlockedMs) },
    },
    sites,
    overflow: { sites: num(record(r.overflow).sites), count: num(record(r.overflow).count), totalMs: num(record(r.overflow).totalMs), maxMs: num(record(r.overflow).maxMs) },
    unattributed: {
      count: num(record(r.unattributed).count),
      totalMs: num(record(r.unattributed).totalMs),
      maxMs: num(record(r.unattributed).maxMs),
      // Reports from before reasons were counted have none.
      reasons: counts(record(r.unattributed).reasons),
    },
    stalls: list(r.stalls).map((stall) => normalizeStall(record(stall))),
    // Reports from before LOOPWATCH_IGNORE_SITES have no `ignored`: none were.
    ignored: {
      count: num(record(r.ignored).count),
      totalMs: num(record(r.ignored).totalMs),
      bySite: Object.fromEntries(Object.entries(record(record(r.ignored).bySite)).map(([site, count]) => [site, num(count)])),
    },
    busy: {
      periods: num(record(r.busy).periods),
      totalMs: num(record(r.busy).totalMs),
      unattributedMs: num(record(r.busy).unattributedMs),
      sites: list(record(r.busy).sites).map((site) => ({ ...frame(record(site)), busyMs: num(record(site).busyMs), samples: num(record(site).samples) })),
    },
    syncApis: normalizeSyncApis(record(r.syncApis)),
    floating: list(promises.floating).map((item) => ({ ...frame(record(item)), count: num(record(item).count) || 1 })),
    rejections: list(promises.unhandledRejections).map((item) => normalizeRejection(record(item))),
    ...(Array.isArray(record(r.merged).processes) ? { merged: { processes: list(record(r.merged).processes).map((p) => normalizeProcess(record(p))) } } : {}),
  };
}

function normalizeProcess(p: Record<string, unknown>): ProcessView {
  return {
    label: str(p.label) || `${num(p.pid)}@${str(p.file)}`,
    pid: num(p.pid),
    file: str(p.file),
    node: str(p.node),
    startedAt: str(p.startedAt),
    mode: str(p.mode),
    stalls: num(p.stalls),
    totalBlockedMs: num(p.totalBlockedMs),
  };
}

function counts(value: unknown): Record<string, number> {
  return Object.fromEntries(Object.entries(record(value)).map(([key, count]) => [key, num(count)]));
}

function normalizeSite(s: Record<string, unknown>): SiteView {
  const site = {
    ...frame(s),
    threadId: num(s.threadId),
    api: typeof s.api === 'string' ? s.api : null,
    kind: kind(s.kind),
    phase: phase(s.phase),
    count: num(s.count),
    totalMs: num(s.totalMs),
    maxMs: num(s.maxMs),
    stack: list(s.stack).map((f) => frame(record(f))),
  };
  // Reports from before advice existed: compute it here, from the same sources.
  const suggestion = typeof s.suggestion === 'string' ? s.suggestion : suggest(site, diskSources);
  return {
    ...site,
    suggestion,
    ...(s.processes !== undefined ? { processes: counts(s.processes) } : {}),
    // Reports from before requests were recorded, or of a process that served none, have no routes.
    ...(s.routes !== undefined ? { routes: counts(s.routes) } : {}),
  };
}

function normalizeStall(s: Record<string, unknown>): StallView {
  return {
    at: str(s.at),
    durationMs: num(s.durationMs),
    threadId: num(s.threadId),
    site: s.site !== null && typeof s.site === 'object' ? frame(record(s.site)) : null,
    api: typeof s.api === 'string' ? s.api : null,
    ...(typeof s.apiCallMs === 'number' ? { apiCallMs: s.apiCallMs } : {}),
    kind: kind(s.kind),
    phase: phase(s.phase),
    stack: list(s.stack).map((f) => frame(record(f))),
    samples: list(s.samples).map((sample) => ({ atMs: num(record(sample).atMs), stack: list(record(sample).stack).map((f) => frame(record(f))) })),
    ...(s.ongoing === true ? { ongoing: true } : {}),
    ...(typeof s.noStackReason === 'string' ? { noStackReason: s.noStackReason } : {}),
    ...(typeof s.pid === 'number' ? { pid: s.pid } : {}),
    ...(typeof record(s.request).route === 'string'
      ? { request: { method: str(record(s.request).method) || 'GET', route: str(record(s.request).route), exact: record(s.request).exact !== false } }
      : {}),
    ...(typeof s.inFlight === 'number' ? { inFlight: num(s.inFlight) } : {}),
    ...traceOf(record(s.trace)),
  };
}

/** A stall's trace link, when it is well formed: the terminal and HTML reports print its id. */
function traceOf(trace: Record<string, unknown>): Pick<StallView, 'trace'> {
  const { traceId, spanId } = trace;
  if (!validSpanIds(traceId, spanId)) return {};
  return { trace: { traceId, spanId: spanId as string, traceFlags: num(trace.traceFlags), exact: trace.exact === true } };
}

function normalizeSyncApis(section: Record<string, unknown>): Record<string, SyncApiStats> {
  const out: Record<string, SyncApiStats> = {};
  for (const [api, value] of Object.entries(section)) {
    const v = record(value);
    out[api] = { calls: num(v.calls), totalMs: num(v.totalMs), slowCalls: num(v.slowCalls), maxMs: num(v.maxMs) };
  }
  return out;
}

/** Entries as src/promises writes them: `{ name, message, site, createdAt, stack, count }`. */
function normalizeRejection(r: Record<string, unknown>): RejectionView {
  const stack = list(r.stack).map((f) => frame(record(f)));
  const framed = (value: unknown): Frame | null => (value !== null && typeof value === 'object' ? frame(record(value)) : null);
  const location = framed(r.site) ?? framed(r.createdAt) ?? (typeof r.file === 'string' ? frame(r) : (stack[0] ?? null));
  const message = str(r.message) || str(r.reason) || 'a rejection with no message';
  const name = str(r.name);
  return { message: name !== '' && !message.startsWith(name) ? `${name}: ${message}` : message, count: num(r.count) || 1, location, stack };
}

function frame(f: Record<string, unknown>): Frame {
  return { file: str(f.file), line: num(f.line), column: num(f.column), function: str(f.function) || '(anonymous)' };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

const KINDS: ReadonlySet<string> = new Set(STALL_KINDS);

/** A kind this version knows; anything else (a newer report's) reads as `unknown`. */
function kind(value: unknown): StallKind {
  return typeof value === 'string' && KINDS.has(value) ? (value as StallKind) : 'unknown';
}

/** Reports from before phases existed did not tell start-up apart: their stalls read as runtime. */
function phase(value: unknown): Phase {
  return value === 'startup' ? 'startup' : 'runtime';
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
