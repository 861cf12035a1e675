/**
 * The JSON report (schema `loopwatch/report@1`) and how it reaches disk: written to a temporary
 * file with owner-only permissions and renamed over the target, so a reader (or a crash halfway)
 * never sees half a report.
 */
import { reportTarget } from './target';
import type { CapturePath } from '../capture/choose';
import * as fs from 'node:fs';
import type { Mode } from '../options';
import type { Ignored, Overflow, SiteRecord, StallAggregate, StallRecord, Unattributed } from './aggregate';
import { siteSuggestion } from '../advice/cached';

export const REPORT_SCHEMA = 'loopwatch/report@1';

export interface Report {
  schema: typeof REPORT_SCHEMA;
  pid: number;
  startedAt: string;
  writtenAt: string;
  /** Why this version was written: `exit`, `hang`, `stall`, `signal`. */
  reason: string;
  mode: Mode;
  thresholdMs: number;
  hangMs: number;
  node: string;
  /** Whether stalls carry stacks; when false, `stacksUnavailable` says why. */
  stacks: boolean;
  /** How stacks were read: `native`, `inspector` or `off` (docs/capture.md). */
  capture: CapturePath;
  stacksUnavailable?: string;
  /** `startup`: the stalls (and their time) that began while the process was starting up, included in the totals. */
  summary: { stalls: number; totalBlockedMs: number; maxStallMs: number; startup: { stalls: number; totalBlockedMs: number } };
  /** `suggestion`: what to do about the site (see src/advice), fenced code blocks included. */
  sites: Array<SiteRecord & { suggestion: string }>;
  overflow: Overflow;
  unattributed: Unattributed;
  stalls: StallRecord[];
  /** Stalls at sites LOOPWATCH_IGNORE_SITES names: in none of the fields above, not even `summary`. */
  ignored: Ignored;
  [section: string]: unknown;
}

export interface ReportContext {
  pid: number;
  startedAt: string;
  mode: Mode;
  thresholdMs: number;
  hangMs: number;
  stacks: boolean;
  capture: CapturePath;
  stacksUnavailable?: string;
  /** The paths the app's entry file goes by (src/stack/source.ts, `resolveEntry`): advice never has a worker require it. */
  entryFiles?: readonly string[];
}

/**
 * `sections` are the features' own top-level parts (`syncApis`, `promises`, ...); they never
 * replace a core field.
 */
export function buildReport(
  context: ReportContext,
  aggregate: StallAggregate,
  reason: string,
  ongoing: StallRecord | null,
  sections: Record<string, unknown> = {},
): Report {
  const stalls = aggregate.stallList();
  if (ongoing !== null) stalls.unshift(ongoing);
  const sites = aggregate.siteList();
  return {
    ...sections,
    schema: REPORT_SCHEMA,
    pid: context.pid,
    startedAt: context.startedAt,
    writtenAt: new Date().toISOString(),
    reason,
    mode: context.mode,
    thresholdMs: context.thresholdMs,
    hangMs: context.hangMs,
    node: process.version,
    stacks: context.stacks,
    capture: context.capture,
    ...(context.stacksUnavailable !== undefined ? { stacksUnavailable: context.stacksUnavailable } : {}),
    summary: {
      stalls: aggregate.stallCount + (ongoing !== null ? 1 : 0),
      totalBlockedMs: round(aggregate.totalMs + (ongoing?.durationMs ?? 0)),
      maxStallMs: round(Math.max(0, ...stalls.map((stall) => stall.durationMs))),
      startup: {
        stalls: aggregate.startup.stalls + (ongoing?.phase === 'startup' ? 1 : 0),
        totalBlockedMs: round(aggregate.startup.totalMs + (ongoing?.phase === 'startup' ? ongoing.durationMs : 0)),
      },
    },
    // Advice reads the site's source line from disk: this runs in the watchdog worker, never on the app's thread.
    sites: sites.map((site) => ({ ...site, totalMs: round(site.totalMs), maxMs: round(site.maxMs), suggestion: siteSuggestion(site, context.entryFiles) })),
    overflow: { ...aggregate.overflow, totalMs: round(aggregate.overflow.totalMs), maxMs: round(aggregate.overflow.maxMs) },
    unattributed: {
      ...aggregate.unattributed,
      reasons: { ...aggregate.unattributed.reasons },
      totalMs: round(aggregate.unattributed.totalMs),
      maxMs: round(aggregate.unattributed.maxMs),
    },
    // Rounded alike: a stall that lasted exactly its sync call still reads as no shorter than it.
    stalls: stalls.map((stall) => ({ ...stall, durationMs: round(stall.durationMs), ...(stall.apiCallMs !== undefined ? { apiCallMs: round(stall.apiCallMs) } : {}) })),
    ignored: { count: aggregate.ignored.count, totalMs: round(aggregate.ignored.totalMs), bySite: { ...aggregate.ignored.bySite } },
  };
}

/**
 * Writes atomically with mode 0600, over a regular file or a symlink's target only (target.ts).
 * Throws on failure; the caller turns that into one warning.
 */
export function writeReportFile(reportPath: string, report: Report): void {
  const resolved = reportTarget(reportPath);
  if ('problem' in resolved) throw new Error(resolved.problem);
  const target = resolved.path;
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, JSON.stringify(report, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(temporary, target);
  } catch (error) {
    try {
      fs.unlinkSync(temporary);
    } catch {
      // Nothing was written, or it is already gone.
    }
    throw error;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
