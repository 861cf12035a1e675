/**
 * What the report and the log say about one stall: built from what the watchdog saw while it went
 * on (the open stall: stack, samples) and the slow sync calls that ended inside it.
 */
import { classifyStall } from '../report/classify';
import { siteOf, type AttributionRules } from '../stack/attribution';
import { keptFrames, mapFrame } from '../stack/frames';
import type { SlowCall } from '../feature';
import type { StallRecord } from '../report/aggregate';
import type { OpenStall } from './watched';

/**
 * A stall that is over. A slow sync call's own stack beats the inspector's: a pause cannot land
 * inside a native call, so it lands late, after the caller moved on.
 */
export function finishedRecord(
  threadId: number,
  stall: OpenStall | null,
  durationMs: number,
  calls: readonly SlowCall[],
  rules: AttributionRules,
): StallRecord {
  const call = calls.reduce<SlowCall | null>((longest, each) => (longest === null || each.durationMs > longest.durationMs ? each : longest), null);
  const callFrames = call ? call.stack.map(mapFrame) : null;
  const site = callFrames ? siteOf(callFrames, rules) : (stall?.site ?? null);
  const stack = callFrames ? keptFrames(callFrames, site) : (stall?.stack ?? []);
  const api = call?.api ?? null;
  return {
    at: stall?.at ?? new Date(Date.now() - durationMs).toISOString(),
    // The heartbeat measures lateness past its 10 ms period, so it can come out a few ms short of
    // a sync call that ran inside the stall; the loop was blocked at least as long as the call.
    durationMs: Math.max(durationMs, call?.durationMs ?? 0),
    threadId,
    site,
    api,
    ...(call ? { apiCallMs: call.durationMs } : {}),
    ...(calls.length > 1 ? { syncCalls: calls.map((each) => ({ api: each.api, durationMs: each.durationMs, site: siteOf(each.stack.map(mapFrame), rules) })) } : {}),
    kind: classifyStall({ api, site, stack }),
    ...(stall ? { detectedAfterMs: Math.round(stall.detectedAfterMs * 10) / 10 } : {}),
    ...(stall?.captureMs !== undefined ? { captureMs: stall.captureMs } : {}),
    stack,
    samples: stall?.samples ?? [],
    ...(site ? {} : { noStackReason: stall?.noStackReason ?? 'the stall ended before the watchdog saw it' }),
  };
}

/** A stall still going on (a hang, or a report written mid-stall), as far as it is known. */
export function ongoingRecord(threadId: number, open: OpenStall, durationMs: number, inApi: string | null): StallRecord {
  return {
    at: open.at,
    durationMs,
    threadId,
    site: open.site,
    api: inApi,
    kind: classifyStall({ api: inApi, site: open.site, stack: open.stack }),
    stack: open.stack,
    samples: open.samples,
    ongoing: true,
    ...(open.site ? {} : { noStackReason: open.noStackReason ?? 'capture in progress' }),
  };
}
