/**
 * Bounded aggregation of stalls: per call site (count, total, max, worst stack) and the longest
 * individual stalls. Memory stays bounded whatever the number of distinct sites: past `maxSites`,
 * the site with the least total blocked time is folded into `overflow`.
 */
import type { StallKind } from '../stall-kind';
import type { Phase } from '../phase';
import type { Frame } from '../stack/frames';
import type { StallRequest, StallTrace } from '../feature';
import { routeKey } from '../http/route';

export interface Sample {
  /** Milliseconds since the stall began. */
  atMs: number;
  stack: Frame[];
}

export interface StallRecord {
  at: string;
  durationMs: number;
  threadId: number;
  site: Frame | null;
  /** The sync API that caused it (`crypto.pbkdf2Sync`), when the stall overlapped a slow sync call. */
  api: string | null;
  /** The exact duration of that sync call. */
  apiCallMs?: number;
  /**
   * No call of `api` was slow by itself: the stall began inside one, and `site` is where the next
   * one was called from (a loop of many short sync calls).
   */
  apiCallsShort?: true;
  /**
   * Slow sync calls inside this stall made at another line than its site: each
   * one's measured time is counted at its own site in `sites`, and the rest of the stall at `site`.
   */
  elsewhere?: Array<{ api: string; durationMs: number; site: Frame; stack: Frame[] }>;
  /** Every slow sync call inside this stall, when there was more than one. */
  syncCalls?: Array<{ api: string; durationMs: number; site: Frame | null }>;
  /** See classify.ts. */
  kind: StallKind;
  /** Began while the process was starting up, or after (phase.ts). */
  phase: Phase;
  /** The HTTP request it happened in, when known; `exact: false` is a guess (docs/report.md, "Requests"). */
  request?: StallRequest;
  /** Other HTTP requests in flight when it ended, which it delayed; absent when the process never served one. */
  inFlight?: number;
  /** The OpenTelemetry span it happened in, when the app traces (docs/report.md, "Traces"). */
  trace?: StallTrace;
  stack: Frame[];
  samples: Sample[];
  /** How late the heartbeat was when the watchdog noticed the stall (the detection latency, within one 10 ms heartbeat). */
  detectedAfterMs?: number;
  /** From detection to the blocked thread's stack in hand. */
  captureMs?: number;
  /** True when the report was written while this stall was still going on (a hang). */
  ongoing?: boolean;
  /** Why no stack was captured, when none was. */
  noStackReason?: string;
}

/** What a site is counted from: a stall with a site, or a part of one measured elsewhere. */
type SiteStall = Pick<StallRecord, 'threadId' | 'phase' | 'api' | 'kind' | 'stack' | 'request'> & { site: Frame };

export interface SiteRecord extends Frame {
  /** The thread the site blocked: 0 for the main thread, else the worker's `threadId`. */
  threadId: number;
  /** A line that blocks at start-up and at runtime is two sites: a slow boot is not a slow request. */
  phase: Phase;
  api: string | null;
  kind: StallKind;
  count: number;
  totalMs: number;
  maxMs: number;
  stack: Frame[];
  /**
   * Its stalls per request route (`"GET /users/:id": 3`), when any happened in a request: at most
   * MAX_ROUTES_PER_SITE keys, later routes counted under `other`.
   */
  routes?: Record<string, number>;
}

export interface Overflow {
  /** Distinct sites folded in here because the table was full. */
  sites: number;
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface Unattributed {
  count: number;
  totalMs: number;
  maxMs: number;
  /** How many had each `noStackReason` (at most MAX_REASONS kinds; the rest under "other"). */
  reasons: Record<string, number>;
}

/** Stalls at a site LOOPWATCH_IGNORE_SITES names: only counted, by `file:line` relative to the working directory. */
export interface Ignored {
  count: number;
  totalMs: number;
  /** At most `maxSites` keys, like `sites`; later sites are counted under `other`. */
  bySite: Record<string, number>;
}

/** Routes kept per site (a route with 10,000 distinct ids is one folded route; this bounds the rest). */
export const MAX_ROUTES_PER_SITE = 20;

/** Adds one to `route` in `routes`, or to `other` once `max` routes have their own key. */
export function countRoute(routes: Record<string, number>, route: string, count = 1, max = MAX_ROUTES_PER_SITE): void {
  const key = route === 'other' || Object.hasOwn(routes, route) || Object.keys(routes).filter((each) => each !== 'other').length < max ? route : 'other';
  routes[key] = (routes[key] ?? 0) + count;
}

/** Reasons are a handful of fixed texts plus one per sync API: this bound is never reached in practice. */
const MAX_REASONS = 20;

export class StallAggregate {
  private readonly sites = new Map<string, SiteRecord>();
  private readonly longest: StallRecord[] = [];
  readonly overflow: Overflow = { sites: 0, count: 0, totalMs: 0, maxMs: 0 };
  /** Stalls with no stack (capture rate-limited, inspector unavailable, ended before the capture). */
  readonly unattributed: Unattributed = { count: 0, totalMs: 0, maxMs: 0, reasons: {} };
  stallCount = 0;
  totalMs = 0;
  /** The part of the two above that began during start-up. */
  readonly startup = { stalls: 0, totalMs: 0 };
  /** Not in any of the above: stalls at sites the user chose to ignore. */
  readonly ignored: Ignored = { count: 0, totalMs: 0, bySite: {} };
  /** Keys in `ignored.bySite`: counting them there would cost a walk per stall. */
  private ignoredSites = 0;

  constructor(
    private readonly maxSites: number,
    private readonly maxStalls: number,
  ) {}

  add(stall: StallRecord): void {
    this.stallCount += 1;
    this.totalMs += stall.durationMs;
    if (stall.phase === 'startup') {
      this.startup.stalls += 1;
      this.startup.totalMs += stall.durationMs;
    }
    this.keepIfLong(stall);
    if (stall.site === null) {
      bump(this.unattributed, stall.durationMs);
      const reasons = this.unattributed.reasons;
      const reason = stall.noStackReason ?? 'unknown';
      const key = Object.hasOwn(reasons, reason) || Object.keys(reasons).length < MAX_REASONS ? reason : 'other';
      reasons[key] = (reasons[key] ?? 0) + 1;
      return;
    }
    // Time measured inside slow sync calls at other lines is theirs; the site keeps the rest.
    let elsewhereMs = 0;
    for (const part of stall.elsewhere ?? []) {
      elsewhereMs += part.durationMs;
      const kind: StallKind = part.api.startsWith('JSON.') ? 'json' : 'sync-api';
      this.addToSite({ threadId: stall.threadId, phase: stall.phase, site: part.site, api: part.api, kind, stack: part.stack, request: stall.request }, part.durationMs);
    }
    const { threadId, phase, site, api, kind, stack, request } = stall;
    this.addToSite({ threadId, phase, site, api, kind, stack, request }, stall.durationMs - elsewhereMs);
  }

  /** A stall at an ignored site, `site` as the log would show it (`src/jobs.ts:42`). */
  addIgnored(site: string, durationMs: number): void {
    const ignored = this.ignored;
    ignored.count += 1;
    ignored.totalMs += durationMs;
    let key = site;
    if (!Object.hasOwn(ignored.bySite, site)) {
      if (this.ignoredSites < this.maxSites) this.ignoredSites += 1;
      else key = 'other';
    }
    ignored.bySite[key] = (ignored.bySite[key] ?? 0) + 1;
  }

  private addToSite(stall: SiteStall, durationMs: number): void {
    // Per thread: the same line blocking the main thread and a worker are different problems
    // (a worker blocking is often the intended fix for the main thread blocking).
    const key = `${stall.threadId}:${stall.phase}:${stall.site.file}:${stall.site.line}`;
    const existing = this.sites.get(key);
    if (existing !== undefined) {
      bump(existing, durationMs);
      if (stall.request !== undefined) countRoute((existing.routes ??= {}), routeKey(stall.request));
      if (durationMs >= existing.maxMs) {
        existing.stack = stall.stack;
        existing.column = stall.site.column;
        existing.api = stall.api;
        existing.kind = stall.kind;
      }
      return;
    }
    if (this.sites.size >= this.maxSites) this.evictSmallest();
    this.sites.set(key, {
      ...stall.site,
      threadId: stall.threadId,
      phase: stall.phase,
      api: stall.api,
      kind: stall.kind,
      count: 1,
      totalMs: durationMs,
      maxMs: durationMs,
      stack: stall.stack,
      ...(stall.request !== undefined ? { routes: { [routeKey(stall.request)]: 1 } } : {}),
    });
  }

  /** Sites by total blocked time, worst first. */
  siteList(): SiteRecord[] {
    return [...this.sites.values()].sort((a, b) => b.totalMs - a.totalMs);
  }

  stallList(): StallRecord[] {
    return [...this.longest].sort((a, b) => b.durationMs - a.durationMs);
  }

  private keepIfLong(stall: StallRecord): void {
    if (this.longest.length < this.maxStalls) {
      this.longest.push(stall);
      return;
    }
    let shortestIndex = 0;
    for (let i = 1; i < this.longest.length; i++) {
      if (this.longest[i]!.durationMs < this.longest[shortestIndex]!.durationMs) shortestIndex = i;
    }
    if (this.longest[shortestIndex]!.durationMs < stall.durationMs) this.longest[shortestIndex] = stall;
  }

  private evictSmallest(): void {
    let smallestKey: string | undefined;
    let smallest: SiteRecord | undefined;
    for (const [key, site] of this.sites) {
      if (smallest === undefined || site.totalMs < smallest.totalMs) {
        smallestKey = key;
        smallest = site;
      }
    }
    if (smallestKey === undefined || smallest === undefined) return;
    this.sites.delete(smallestKey);
    this.overflow.sites += 1;
    this.overflow.count += smallest.count;
    this.overflow.totalMs += smallest.totalMs;
    this.overflow.maxMs = Math.max(this.overflow.maxMs, smallest.maxMs);
  }
}

function bump(target: { count: number; totalMs: number; maxMs: number }, durationMs: number): void {
  target.count += 1;
  target.totalMs += durationMs;
  target.maxMs = Math.max(target.maxMs, durationMs);
}
