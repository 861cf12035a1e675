/**
 * What OpenTelemetry reports about stalls, kept by loopwatch itself: totals per site (exported as
 * observable counters, so an SDK registered late still gets every stall since start) and the stall
 * durations seen before any meter existed (replayed into the histogram once one does).
 */
import type { StallEvent } from '../feature';
import { SiteLabels } from '../metrics/sites';

/** Durations kept while no SDK is registered; beyond this the oldest are dropped. */
const MAX_PENDING = 1000;

export interface SiteTotals {
  count: number;
  seconds: number;
  maxSeconds: number;
}

export class StallTotals {
  readonly bySite = new Map<string, SiteTotals>();
  overflow = 0;
  private pending: number[] = [];
  private readonly sites: SiteLabels;

  constructor(maxSites: number) {
    this.sites = new SiteLabels(maxSites);
  }

  /** Adds a stall; returns its label and duration in seconds. */
  add(stall: StallEvent): { site: string; seconds: number } {
    const seconds = stall.durationMs / 1000;
    const { site, overflow } = this.sites.label(stall.site);
    if (overflow) this.overflow += 1;
    const totals = this.bySite.get(site) ?? { count: 0, seconds: 0, maxSeconds: 0 };
    totals.count += 1;
    totals.seconds += seconds;
    totals.maxSeconds = Math.max(totals.maxSeconds, seconds);
    this.bySite.set(site, totals);
    return { site, seconds };
  }

  /** Remembers a duration no histogram has recorded yet (no meter provider registered so far). */
  keepPending(seconds: number): void {
    this.pending.push(seconds);
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  /** The pending durations, handed over once: the caller records them. */
  takePending(): number[] {
    const pending = this.pending;
    this.pending = [];
    return pending;
  }
}
