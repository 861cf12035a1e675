/**
 * What OpenTelemetry reports about stalls, kept by loopwatch itself: totals per site (exported as
 * observable counters, so an SDK registered late still gets every stall since start) and the stall
 * durations seen before any meter existed (replayed into the histogram once one does).
 */
import type { StallEvent } from '../feature';
import { SiteLabels } from '../metrics/sites';
import type { Phase } from '../phase';

/** Durations kept while no SDK is registered; beyond this the oldest are dropped. */
const MAX_PENDING = 1000;

export interface SiteTotals {
  site: string;
  phase: Phase;
  count: number;
  seconds: number;
  maxSeconds: number;
}

export interface StallDuration {
  seconds: number;
  phase: Phase;
}

export class StallTotals {
  readonly bySite = new Map<string, SiteTotals>();
  overflow = 0;
  private pending: StallDuration[] = [];
  private readonly sites: SiteLabels;

  constructor(maxSites: number) {
    this.sites = new SiteLabels(maxSites);
  }

  /** Adds a stall; returns its duration in seconds and its phase. */
  add(stall: StallEvent): StallDuration {
    const seconds = stall.durationMs / 1000;
    const { site, overflow } = this.sites.label(stall.site);
    if (overflow) this.overflow += 1;
    // Keyed by phase too: a line that blocks at start-up and at runtime is two series.
    const key = `${stall.phase} ${site}`;
    const totals = this.bySite.get(key) ?? { site, phase: stall.phase, count: 0, seconds: 0, maxSeconds: 0 };
    totals.count += 1;
    totals.seconds += seconds;
    totals.maxSeconds = Math.max(totals.maxSeconds, seconds);
    this.bySite.set(key, totals);
    return { seconds, phase: stall.phase };
  }

  /** Remembers a duration no histogram has recorded yet (no meter provider registered so far). */
  keepPending(duration: StallDuration): void {
    this.pending.push(duration);
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  /** The pending durations, handed over once: the caller records them. */
  takePending(): StallDuration[] {
    const pending = this.pending;
    this.pending = [];
    return pending;
  }
}
