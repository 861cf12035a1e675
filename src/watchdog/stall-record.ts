/**
 * What the report and the log say about one stall: built from what the watchdog saw while it went
 * on (the open stall: stack, samples) and the slow sync calls that ended inside it.
 */
import { classifyStall, isModuleLoaderFrame, loadingModules } from '../report/classify';
import { siteOf, type AttributionRules } from '../stack/attribution';
import { keptFrames, mapFrame } from '../stack/frames';
import type { SlowCall, StallRequest, StallTrace } from '../feature';
import type { Frame } from '../stack/frames';
import type { StallRecord } from '../report/aggregate';
import type { OpenStall } from './watched';
import type { Phase } from '../phase';
import type { RequestsAtStall } from '../http/requests';

/** Why a module-loading stall has no site: the stack held Node's loader and nothing of the app's. */
const LOADER_ONLY = "Node's module loader was running, with no file of the app's on the stack (loading the entry, or the handshake with --import hooks such as tsx's)";

/**
 * A stall that is over, named by the first of these that applies:
 * 1. the slow sync calls of one call site that add up to at least half of it: a pause cannot land
 *    inside a native call, so their own stack beats the captured one, which lands late;
 * 2. the captured stack's site;
 * 3. the short call the watchdog asked about, when the stall began inside a sync API (a loop of
 *    many calls, none slow by itself; see CALL_SITE_WANTED_INDEX);
 * 4. the slow calls that add up to the most, however little.
 * The slow calls made elsewhere (another line, another API) keep their own, measured time: it is
 * counted at their sites (`elsewhere`), and the rest of the stall at the stall's site.
 */
export function finishedRecord(
  threadId: number,
  stall: OpenStall | null,
  durationMs: number,
  calls: readonly SlowCall[],
  rules: AttributionRules,
  phase: Phase,
  http?: RequestsAtStall,
): StallRecord {
  // Each slow call's frames are mapped once, here: mapping reads source maps.
  const slowCalls = calls.filter((each) => each.duringStall !== true).map((each) => namedBy(each, rules));
  const askedAbout = calls.find((each) => each.duringStall === true) ?? null;
  const named = namedByCalls(stall, durationMs, slowCalls, askedAbout, rules);
  const site = named ? named.site : (stall?.site ?? null);
  const stack = named ? keptFrames(named.frames, site) : (stall?.stack ?? []);
  // A call the module loader made (its realpathSync, its readFileSync) is not the app's to change,
  // and a short call met while a module loads did not cause the stall: the stall is named by the
  // require() that led to it, as module loading.
  const byLoader = named !== null && named.frames[0] !== undefined && isModuleLoaderFrame(named.frames[0]);
  const shortWhileLoading = named !== null && named.call === askedAbout && loadingModules(site, stack);
  const call = named !== null && !byLoader && !shortWhileLoading ? named.call : null;
  const api = call?.api ?? null;
  const short = call !== null && call === askedAbout;
  const kind = classifyStall({ api, site, stack });
  const elsewhere = site !== null ? measuredElsewhere(slowCalls, site, call, durationMs) : [];
  // A slow call read its request as it ran (exact); the main thread's guess only without one.
  const chosen = slowCalls.find((each) => each.call.request !== undefined)?.call.request ?? http?.request;
  const trace = stallTrace(named?.call ?? null, slowCalls, chosen);
  // In the report the span is the stall's `trace`, whichever way it was found.
  const request = chosen === undefined ? undefined : { method: chosen.method, route: chosen.route, exact: chosen.exact };
  return {
    at: stall?.at ?? new Date(Date.now() - durationMs).toISOString(),
    // The heartbeat measures lateness past its 10 ms period, so it can come out a few ms short of
    // a sync call that ran inside the stall; the loop was blocked at least as long as the call.
    durationMs: Math.max(durationMs, short ? 0 : (call?.durationMs ?? 0)),
    threadId,
    site,
    api,
    ...(call && !short ? { apiCallMs: call.durationMs } : {}),
    ...(short ? { apiCallsShort: true as const } : {}),
    ...(elsewhere.length > 0 ? { elsewhere } : {}),
    ...(slowCalls.length > 1 ? { syncCalls: slowCalls.map(({ call: each, site: eachSite }) => ({ api: each.api, durationMs: each.durationMs, site: eachSite })) } : {}),
    kind,
    phase,
    ...(request !== undefined ? { request } : {}),
    ...(trace !== undefined ? { trace } : {}),
    ...(http !== undefined ? { inFlight: http.inFlight } : {}),
    ...(stall ? { detectedAfterMs: Math.round(stall.detectedAfterMs * 10) / 10 } : {}),
    ...(stall?.captureMs !== undefined ? { captureMs: stall.captureMs } : {}),
    stack,
    samples: stall?.samples ?? [],
    ...(site ? {} : { noStackReason: kind === 'module-loading' ? LOADER_ONLY : (stall?.noStackReason ?? 'the stall ended before the watchdog saw it') }),
  };
}

/**
 * The slow calls of the stall made at another line than its site: each
 * one's own duration, measured by its wrapper, with its stack. Their total never exceeds the
 * stall, so the site keeps what is left: the time no measurement accounts for.
 */
function measuredElsewhere(slowCalls: readonly NamedBy[], site: Frame, naming: SlowCall | null, durationMs: number): NonNullable<StallRecord['elsewhere']> {
  const parts: NonNullable<StallRecord['elsewhere']> = [];
  let totalMs = 0;
  for (const { call, site: callSite, frames } of slowCalls) {
    if (callSite === null || call === naming) continue;
    // At the site's own line it is the site's time already.
    if (callSite.file === site.file && callSite.line === site.line) continue;
    const share = Math.min(call.durationMs, durationMs - totalMs);
    if (share <= 0) break;
    totalMs += share;
    parts.push({ api: call.api, durationMs: share, site: callSite, stack: keptFrames(frames, callSite) });
  }
  return parts;
}

/** Rules 1, 3 and 4 above; null when the captured stack names the stall (rule 2), or nothing does. */
function namedByCalls(stall: OpenStall | null, durationMs: number, slowCalls: readonly NamedBy[], askedAbout: SlowCall | null, rules: AttributionRules): NamedBy | null {
  const heaviest = heaviestSite(slowCalls);
  if (heaviest !== null && heaviest.totalMs >= durationMs / 2) return heaviest;
  if (stall?.site) return null;
  if (askedAbout !== null) return namedBy(askedAbout, rules);
  return heaviest;
}

/**
 * The OpenTelemetry span a stall is recorded in: the one active at a slow sync call inside it (read
 * as the call returned: exact, request or not), the naming call's first; else its request's.
 */
function stallTrace(naming: SlowCall | null, slowCalls: readonly NamedBy[], request: StallRequest | undefined): StallTrace | undefined {
  const fromCall = naming?.trace ?? slowCalls.find((each) => each.call.trace !== undefined)?.call.trace;
  if (fromCall !== undefined) return { ...fromCall, exact: true };
  return request?.trace !== undefined ? { ...request.trace, exact: request.exact } : undefined;
}

function namedBy(call: SlowCall, rules: AttributionRules): NamedBy {
  const frames = call.stack.map(mapFrame);
  return { call, site: siteOf(frames, rules), frames, totalMs: call.durationMs };
}

interface NamedBy {
  /** The longest call of the site (its stack and API name the stall). */
  call: SlowCall;
  site: Frame | null;
  frames: Frame[];
  totalMs: number;
}

/** The call site (and API) whose slow calls add up to the most time; null without slow calls. */
function heaviestSite(calls: readonly NamedBy[]): NamedBy | null {
  const bySite = new Map<string, NamedBy>();
  for (const each of calls) {
    const key = `${each.call.api} ${each.site ? `${each.site.file}:${each.site.line}` : ''}`;
    const group = bySite.get(key);
    if (group === undefined) bySite.set(key, each);
    else {
      const totalMs = group.totalMs + each.totalMs;
      bySite.set(key, each.call.durationMs > group.call.durationMs ? { ...each, totalMs } : { ...group, totalMs });
    }
  }
  let heaviest: NamedBy | null = null;
  for (const group of bySite.values()) if (heaviest === null || group.totalMs > heaviest.totalMs) heaviest = group;
  return heaviest;
}

/** A stall still going on (a hang, or a report written mid-stall), as far as it is known. */
export function ongoingRecord(threadId: number, open: OpenStall, durationMs: number, inApi: string | null, phase: Phase): StallRecord {
  const kind = classifyStall({ api: inApi, site: open.site, stack: open.stack });
  return {
    at: open.at,
    durationMs,
    threadId,
    site: open.site,
    api: inApi,
    kind,
    phase,
    stack: open.stack,
    samples: open.samples,
    ongoing: true,
    ...(open.site ? {} : { noStackReason: kind === 'module-loading' ? LOADER_ONLY : (open.noStackReason ?? 'capture in progress') }),
  };
}
