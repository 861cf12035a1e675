/**
 * The advice for report sites, memoized per site: the watchdog rebuilds the report after every
 * batch of stalls, and a site's advice only changes when what blocked there changes. Kept beside
 * the site record itself (a WeakMap), so the memo lives exactly as long as the site stays in the
 * aggregate: bounded by LOOPWATCH_MAX_SITES whatever its value, and never recomputed for a site
 * that is still there (a fixed-size cache smaller than the site table recomputed every one of
 * them on every rebuild).
 */
import { suggest } from './suggest';
import { diskSources } from '../stack/source';
import type { AdviceContext, AdviceSite } from './types';

const memo = new WeakMap<AdviceSite, { key: string; advice: string }>();

/** `entryFiles`: the paths the app's entry file goes by (constant for a process, so not part of the key). */
export function siteSuggestion(site: AdviceSite, entryFiles: readonly string[] = []): string {
  const top = site.stack[0];
  // What the advice depends on: a worse stall at the same line can change the API, kind or stack.
  const key = `${site.file}:${site.line}:${site.function}:${site.api ?? ''}:${site.kind}:${site.phase ?? ''}:${top !== undefined ? `${top.file}:${top.line}` : ''}`;
  const known = memo.get(site);
  if (known?.key === key) return known.advice;
  const context: AdviceContext = entryFiles.length > 0 ? { ...diskSources, entryFiles } : diskSources;
  const advice = suggest(site, context);
  memo.set(site, { key, advice });
  return advice;
}
