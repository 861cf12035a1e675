/**
 * Floating-promise findings, aggregated per creation site and bounded. A site is the first frame of
 * the app's own code in the creation stack, source-mapped (once per distinct raw location: mapping
 * reads files, so it is never done per promise).
 */
import * as path from 'node:path';
import { mapFrame, type Frame } from '../stack/frames';
import { isAppFrame, type AttributionRules } from '../stack/attribution';
import { matchesSiteRule, type SiteRule } from '../stack/site-rules';

export const MAX_FLOATING_SITES = 100;

export interface FloatingSite extends Frame {
  count: number;
}

export interface SiteTable {
  /**
   * Counts one floating promise. Null when it is not a finding (Node's own, loopwatch's, or
   * allowlisted); `site` is null when the table is full (the promise is counted in `overflow`).
   */
  add(frames: readonly Frame[]): { site: FloatingSite | null; first: boolean } | null;
  snapshot(): { sites: FloatingSite[]; overflow: number };
}

export function createSiteTable(rules: AttributionRules, ignore: readonly SiteRule[], cwd: string): SiteTable {
  const sites = new Map<string, FloatingSite>();
  const mapped = new Map<string, Frame>();
  let overflow = 0;
  const map = (frame: Frame): Frame => {
    const key = `${frame.file}:${frame.line}:${frame.column}`;
    let result = mapped.get(key);
    if (result === undefined) {
      result = mapFrame(frame);
      if (mapped.size < 10 * MAX_FLOATING_SITES) mapped.set(key, result);
    }
    return result;
  };
  return {
    add(frames) {
      const site = siteOf(frames.map(map), rules);
      if (site === null || matchesSiteRule(site, ignore, cwd)) return null;
      const key = `${site.file}:${site.line}:${site.column}`;
      const known = sites.get(key);
      if (known !== undefined) {
        known.count += 1;
        return { site: known, first: false };
      }
      if (sites.size >= MAX_FLOATING_SITES) {
        overflow += 1;
        return { site: null, first: false };
      }
      const fresh: FloatingSite = { ...site, count: 1 };
      sites.set(key, fresh);
      return { site: fresh, first: true };
    },
    snapshot() {
      return { sites: [...sites.values()].map((site) => ({ ...site })), overflow };
    },
  };
}

/**
 * The app frame that created the promise. A stack with no app frame at all is Node's or a
 * dependency's own business: Node internals are never blamed on the app (the bundled undici made
 * such promises in an http + fetch smoke test, docs/design.md, "Promises"), and a dependency's promise is
 * reported at the dependency's line only when that line made it.
 */
export function siteOf(frames: readonly Frame[], rules: AttributionRules): Frame | null {
  const first = frames[0];
  if (first === undefined || first.file === '' || first.file.startsWith('node:')) return null;
  if (isAgent(first, rules)) return null;
  return frames.find((frame) => isAppFrame(frame, rules)) ?? first;
}

function isAgent(frame: Frame, rules: AttributionRules): boolean {
  return rules.agentRoots.some((root) => frame.file.startsWith(root + path.sep));
}
