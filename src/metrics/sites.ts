/**
 * Bounds the `site` label. Every distinct label value is a new time series in Prometheus, so an app
 * with thousands of blocking lines would blow up its storage: the first `max` distinct sites keep
 * their own label and later ones are folded into `other` (and counted). First-come rather than a
 * true top-N, because relabelling a series later would make its counter jump backwards.
 */
export const OTHER_SITE = 'other';
/** A stall with no stack (rate-limited capture, no inspector): the report calls these unattributed. */
export const UNATTRIBUTED_SITE = 'unattributed';

export class SiteLabels {
  private readonly known = new Set<string>();

  constructor(private readonly max: number) {}

  /** The label for a stall's site, and whether it overflowed into `other`. */
  label(site: string | null): { site: string; overflow: boolean } {
    if (site === null) return { site: UNATTRIBUTED_SITE, overflow: false };
    if (this.known.has(site)) return { site, overflow: false };
    if (this.known.size < this.max) {
      this.known.add(site);
      return { site, overflow: false };
    }
    return { site: OTHER_SITE, overflow: true };
  }
}
