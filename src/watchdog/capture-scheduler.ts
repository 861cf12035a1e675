/**
 * When to read a blocked thread's stack, and what to do with the answer: one capture at the start
 * of a stall (unless the thread is inside a native call no capture can land in, or the budget is
 * spent), re-samples while it lasts, a fresh one for a hang, retries for captures that got no
 * answer. The watchdog core (core.ts) feeds it the detector's events.
 */
import { applySample } from './sampling';
import { openStall, type OpenStall, type Watched } from './watched';
import { HEARTBEAT_MS, nsToMs } from './shared';
import type { DetectorEvent } from './detector';
import { RateLimiter } from '../rate-limiter';
import type { AttributionRules } from '../stack/attribution';
import type { CapturePath } from '../options';
import type { WarningCode } from '../codes';

/** How long a hang line waits for a stack capture already in flight (see onHang). */
export const HANG_CAPTURE_WAIT_MS = 200;

export interface SchedulerParts {
  capture: CapturePath;
  rules: AttributionRules;
  maxCapturesPerMinute: number;
  nowNs(): bigint;
  nowMs(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  main(): Watched;
  threads(): Iterable<Watched>;
  /** The sync API the thread is inside, if any: no capture lands there. */
  currentSyncApi(watched: Watched): string | null;
  /** Asks the main thread's sync-API wrappers for the next call's site (true), or stops asking. */
  wantCallSite(wanted: boolean): void;
  /** The process is exiting: no capture may start. */
  exiting(): boolean;
  /** A capture says the thread is gone; and whether a worker thread is still listed. */
  gone(watched: Watched): void;
  listed(threadId: number): boolean;
  /** Writes the hang report and line. */
  hang(watched: Watched, stall: OpenStall, elapsedMs: number): void;
  warn(code: WarningCode, message: string): void;
}

export class CaptureScheduler {
  private readonly limiter: RateLimiter;

  constructor(private readonly parts: SchedulerParts) {
    this.limiter = new RateLimiter(parts.maxCapturesPerMinute, 60_000);
  }

  /**
   * Worker-thread captures that got no answer because the main thread (which relays inspector
   * captures, and which a native capture waits for too) was stuck in a native call: tried again
   * once it is not, not sooner (a try while it is stuck only queues another behind it and spends
   * the capture budget).
   */
  retryThreadCaptures(): void {
    if (this.parts.main().open !== null || this.parts.currentSyncApi(this.parts.main()) !== null) return;
    for (const watched of this.parts.threads()) {
      const open = watched.open;
      if (open?.retryCapture !== true || open.capturing !== null || !this.budget()) continue;
      this.takeSample(watched, open, nsToMs(this.parts.nowNs() - open.beatNs) - HEARTBEAT_MS);
    }
  }

  handle(watched: Watched, event: DetectorEvent, beatNs: bigint): void {
    switch (event.type) {
      case 'stall-start': {
        const open = openStall(beatNs, event.elapsedMs);
        watched.open = open;
        const inApi = this.parts.currentSyncApi(watched);
        if (inApi !== null) {
          // No capture lands inside a native call: the wrapper reports the exact call site when it
          // returns, so keep the capture budget (a later sample may still capture, see below).
          open.inSyncApi = inApi;
          open.noStackReason = `inside ${inApi}, a native call no capture can interrupt`;
          // If it is one of many short calls, none is slow: the next one to return says where.
          if (watched === this.parts.main()) this.parts.wantCallSite(true);
          return;
        }
        if (watched.capture === null) open.noStackReason = 'stack capture unavailable';
        else if (!this.budget()) open.noStackReason = 'stack capture rate-limited (LOOPWATCH_MAX_CAPTURES_PER_MIN)';
        else this.takeSample(watched, open, 0);
        return;
      }
      case 'sample': {
        const open = watched.open;
        if (open === null || open.capturing !== null) return;
        if (open.stack.length > 0) this.takeSample(watched, open, event.elapsedMs);
        // The first sample caught the thread between two microtasks (or came before the capture
        // thread was up): try again.
        else if (open.retryNextSample === true && this.budget()) this.takeSample(watched, open, event.elapsedMs);
        // Started inside a sync call that has returned, and the loop is still blocked a whole sample
        // period later: other code blocks it, capture now. Not at the first sample after the return:
        // that one mostly lands in the moment between the call's return and the next heartbeat, and
        // would spend the budget on a stall that is already over.
        else if (open.inSyncApi !== undefined && watched.capture !== null && this.parts.currentSyncApi(watched) === null) {
          if (open.syncReturnedSeen === true && this.budget()) this.takeSample(watched, open, event.elapsedMs);
          open.syncReturnedSeen = true;
        }
        return;
      }
      case 'hang':
        if (watched.open !== null) this.onHang(watched, watched.open, event.elapsedMs);
        return;
      case 'stall-resumed':
        if (watched === this.parts.main()) this.parts.wantCallSite(false);
        void watched.capture?.end();
        return;
    }
  }

  private takeSample(watched: Watched, stall: OpenStall, elapsedMs: number, after?: () => void): void {
    const current = watched.capture;
    // The process is on its way out (final flush, or the exit flag when there is no report): a
    // capture started now could outlive the thread it waits on (an inspector session left
    // attached prints "Waiting for the debugger to disconnect...").
    if (current === null || this.parts.exiting()) return;
    const startedNs = this.parts.nowNs();
    stall.capturing = current
      .sample(() => Atomics.load(watched.beats, watched.beatIndex) === stall.beatNs, stall.beatNs)
      .then((result) => {
        if (applySample(stall, result, { startedNs, nowNs: this.parts.nowNs(), elapsedMs }, this.parts.rules)) this.parts.gone(watched);
      })
      .catch((error: unknown) => {
        stall.noStackReason = 'stack capture failed';
        // A worker thread can go away mid-capture, and a command times out while the thread sits
        // in a long native call: end this session, the next stall tries again with a new one.
        if (watched !== this.parts.main() || (error as Error).message.endsWith('timed out')) {
          void current.end();
          return;
        }
        const code = this.parts.capture === 'native' ? 'LOOPWATCH_NO_NATIVE_CAPTURE' : 'LOOPWATCH_NO_INSPECTOR';
        this.parts.warn(code, `stack capture failed (${(error as Error).message}); stalls are still timed, without stacks`);
        // Ended, not just dropped: a Debugger left enabled makes promise-heavy code 7-9x slower.
        void current.end();
        this.parts.main().capture = null;
      })
      .finally(() => {
        stall.capturing = null;
        after?.();
      });
  }

  private onHang(watched: Watched, stall: OpenStall, elapsedMs: number): void {
    const finish = (): void => {
      // A worker thread ended by terminate() looks hung forever: only a thread still listed is
      // reported (without stack capture, worker-thread hangs are not reported at all).
      if (watched !== this.parts.main() && (watched.capture === null || watched.gone === true || !this.parts.listed(watched.threadId))) return;
      this.parts.hang(watched, stall, elapsedMs);
    };
    // A fresh sample for the hang report, after any capture in flight (one at a time).
    const sampleThenFinish = (): void => {
      // Inside a native call no capture would land: report what is known, now.
      if (this.parts.currentSyncApi(watched) !== null) finish();
      else if (watched.capture !== null && watched.open === stall) this.takeSample(watched, stall, elapsedMs, finish);
      else finish();
    };
    const capturing = stall.capturing;
    if (capturing === null) return sampleThenFinish();
    // A capture in flight gets a moment to land; no more: one waiting on a thread inside a long
    // native call answers only when the call returns, and the hang line is for while it is stuck.
    let done = false;
    const once = (next: () => void) => (): void => {
      if (done) return;
      done = true;
      next();
    };
    this.parts.setTimeout(once(finish), HANG_CAPTURE_WAIT_MS);
    void capturing.then(once(sampleThenFinish));
  }

  /** One capture from the budget (LOOPWATCH_MAX_CAPTURES_PER_MIN). */
  private budget(): boolean {
    return this.limiter.tryTake(this.parts.nowMs());
  }
}
