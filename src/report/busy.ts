/**
 * The report's `busy` section: a saturated loop's busy time, split over the sites its samples
 * landed on (src/watchdog/busy.ts samples it). Bounded like `sites`: past `maxSites`, the site with
 * the least time is folded into `otherMs`.
 */
import type { Frame } from '../stack/frames';

export interface BusySite extends Frame {
  /** Busy time attributed to the site: its share of the samples, times the busy time they sampled. */
  busyMs: number;
  samples: number;
  /** The first sample's stack there, top frame first. */
  stack: Frame[];
}

export interface BusySection {
  /** LOOPWATCH_BUSY_PERCENT (0: off) and LOOPWATCH_BUSY_WINDOW_MS. */
  percent: number;
  windowMs: number;
  /** Times the loop became busy. */
  periods: number;
  /** Active time while busy, attributed or not (stalls apart: their time is in `stalls`). */
  totalMs: number;
  /** Busy time whose samples named no site (no stack, or none of it in files the app or a package owns). */
  unattributedMs: number;
  /** Busy time of sites folded away because `maxSites` was reached. */
  otherMs: number;
  sites: BusySite[];
}

export class BusyAggregate {
  private readonly sites = new Map<string, BusySite>();
  periods = 0;
  totalMs = 0;
  unattributedMs = 0;
  otherMs = 0;

  constructor(private readonly maxSites: number) {}

  /** `activeMs` of one step, split evenly over its samples' sites (null: no site). */
  addStep(activeMs: number, samples: ReadonlyArray<{ site: Frame | null; stack: Frame[] }>): Array<{ site: Frame | null; ms: number }> {
    this.totalMs += activeMs;
    if (samples.length === 0) {
      this.unattributedMs += activeMs;
      return [{ site: null, ms: activeMs }];
    }
    const share = activeMs / samples.length;
    const shares = new Map<string, { site: Frame | null; ms: number }>();
    for (const { site, stack } of samples) {
      const key = site === null ? '' : `${site.file}:${site.line}`;
      const entry = shares.get(key);
      if (entry === undefined) shares.set(key, { site, ms: share });
      else entry.ms += share;
      if (site === null) this.unattributedMs += share;
      else this.addToSite(key, site, share, stack);
    }
    return [...shares.values()];
  }

  section(percent: number, windowMs: number): BusySection {
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    return {
      percent,
      windowMs,
      periods: this.periods,
      totalMs: round(this.totalMs),
      unattributedMs: round(this.unattributedMs),
      otherMs: round(this.otherMs),
      sites: [...this.sites.values()].sort((a, b) => b.busyMs - a.busyMs).map((site) => ({ ...site, busyMs: round(site.busyMs) })),
    };
  }

  private addToSite(key: string, site: Frame, ms: number, stack: Frame[]): void {
    const known = this.sites.get(key);
    if (known !== undefined) {
      known.busyMs += ms;
      known.samples += 1;
      return;
    }
    if (this.sites.size >= this.maxSites) {
      let least: [string, BusySite] | null = null;
      for (const entry of this.sites) if (least === null || entry[1].busyMs < least[1].busyMs) least = entry;
      // The newcomer is the least of all: it goes to `otherMs` itself.
      if (least === null || ms <= least[1].busyMs) {
        this.otherMs += ms;
        return;
      }
      this.sites.delete(least[0]);
      this.otherMs += least[1].busyMs;
    }
    this.sites.set(key, { ...site, busyMs: ms, samples: 1, stack });
  }
}
