/**
 * The advice for report sites, memoized: the watchdog rebuilds the report after every batch of
 * stalls, and a site's advice only changes when what blocked there changes.
 */
import { suggest } from './suggest';
import { diskSources } from './source';
import type { AdviceSite } from './types';

/** A little over LOOPWATCH_MAX_SITES' default, so a full site table stays cached. */
const MAX_ENTRIES = 1200;
const cache = new Map<string, string>();

export function siteSuggestion(site: AdviceSite): string {
  const top = site.stack[0];
  const key = `${site.file}:${site.line}:${site.function}:${site.api ?? ''}:${site.kind}:${top !== undefined ? `${top.file}:${top.line}` : ''}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const advice = suggest(site, diskSources);
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, advice);
  return advice;
}
