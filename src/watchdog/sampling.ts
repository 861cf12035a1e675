/**
 * What one sample of a blocked thread adds to its stall: the first stack names the site; later
 * ones are kept as samples (where the time went), and replace the site when they name it better.
 * Pure: the watchdog core does the asking (core.ts), this decides what the answer means.
 */
import { keptFrames } from '../stack/frames';
import { isAppFrame, siteOf, type AttributionRules } from '../stack/attribution';
import { loadingModules } from '../report/classify';
import { HEARTBEAT_MS, nsToMs } from './shared';
import type { OpenStall, SampleResult } from './watched';

/** Why a stall has no stack, by what its last sample found. */
export const NO_STACK_REASONS = {
  'timed-out': 'no answer in time: the thread (or the main thread) was inside a native call',
  'no-frames': 'every sample landed between two microtasks (a long promise chain), with no JavaScript frame to name',
  'not-listed': 'the thread had exited',
  starting: 'the capture thread was still starting',
  turned: 'the loop turned before the stack could be captured',
  'node-only': "only Node's own frames were on the stack: the blocking call (a native one, such as structuredClone or a large Buffer encode) had returned before the capture",
} as const;

export interface SampleTiming {
  /** When the sample was asked for, and when its answer came (process.hrtime.bigint()). */
  startedNs: bigint;
  nowNs: bigint;
  /** How far into the stall the sample was asked for (0 for the first). */
  elapsedMs: number;
}

/**
 * Updates `stall` with one sample's answer. Returns true when the answer says the thread is gone
 * (worker.terminate() runs no exit handler: the capture not finding the thread is one way the
 * watchdog learns it).
 */
export function applySample(stall: OpenStall, result: SampleResult, timing: SampleTiming, rules: AttributionRules): boolean {
  const { frames, unreachable, atEntry = false } = result;
  stall.retryCapture = false;
  stall.retryNextSample = unreachable === 'no-frames' || unreachable === 'starting';
  if (frames === null) {
    // No answer in time says nothing about the thread: it, or the main thread (which relays
    // inspector captures, and which every native capture waits for too), is in a long native
    // call. Tried again once the main thread is free (see WatchdogCore.retryThreadCaptures).
    if (unreachable === 'timed-out') stall.retryCapture = true;
    if (stall.stack.length === 0) stall.noStackReason = NO_STACK_REASONS[unreachable ?? 'turned'];
    return unreachable === 'not-listed';
  }
  stall.aliveMs = nsToMs(timing.nowNs - stall.beatNs) - HEARTBEAT_MS;
  const site = siteOf(frames, rules);
  const stack = keptFrames(frames, site);
  if (stall.stack.length === 0) {
    stall.captureMs = Math.round(nsToMs(timing.nowNs - timing.startedNs) * 10) / 10;
    stall.stack = stack;
    stall.site = site;
    stall.siteAtEntry = atEntry;
    // Nothing to name yet; re-samples (below) may still land in the code that blocks.
    stall.noStackReason = site === null ? NO_STACK_REASONS['node-only'] : undefined;
    return false;
  }
  stall.samples.push({ atMs: Math.round(timing.elapsedMs), stack });
  // The first stack caught the thread outside the app's code (in Node's own tick processing,
  // between two callbacks of one long turn), or at a function's entry rather than a statement: a
  // later one inside the app's code, at a statement, names the line instead. The first stack stays
  // in the samples: where that part of the stall went. With no app frame, a package's site (see
  // siteOf) replaces a first stack of Node's frames alone, or one still loading the package's
  // modules: tsc runs its whole compile inside the require() of its _tsc.js, and the first
  // capture can land while that file is still being compiled.
  const better = stall.site === null || !isAppFrame(stall.site, rules) || (stall.siteAtEntry === true && !atEntry);
  const betterPackageSite = stall.site === null || (loadingModules(stall.site, stall.stack) && !loadingModules(site, stack));
  if (site !== null && (isAppFrame(site, rules) ? better : betterPackageSite)) {
    stall.samples.unshift({ atMs: Math.round(stall.detectedAfterMs), stack: stall.stack });
    stall.site = site;
    stall.stack = stack;
    stall.siteAtEntry = atEntry;
    stall.noStackReason = undefined;
  }
  return false;
}
