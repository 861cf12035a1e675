/**
 * The stall detector as a pure function of a clock and a heartbeat, so tests drive it with fake
 * milliseconds. The watchdog calls `poll` every few ms with the current time and the main thread's
 * last heartbeat; the returned events say when to capture a stack, re-sample, or dump a hang.
 */

export interface DetectorConfig {
  thresholdMs: number;
  hangMs: number;
  /** The heartbeat period: a heartbeat is only "late" after this much time. */
  heartbeatMs: number;
  sampleIntervalMs: number;
  maxSamples: number;
}

export type DetectorEvent =
  /** The loop has been blocked for `elapsedMs` (>= threshold) and still is. */
  | { type: 'stall-start'; beatMs: number; elapsedMs: number }
  /** Still blocked: take another sample of where the time goes. */
  | { type: 'sample'; beatMs: number; elapsedMs: number }
  /** Blocked past the hang limit: write the report now, the loop may never turn again. */
  | { type: 'hang'; beatMs: number; elapsedMs: number }
  /** The loop turned again; the main thread reports the exact duration separately. */
  | { type: 'stall-resumed'; beatMs: number; elapsedMs: number };

interface OpenStall {
  beatMs: number;
  nextSampleMs: number;
  samples: number;
  hangReported: boolean;
}

export class StallDetector {
  private open: OpenStall | null = null;

  constructor(private readonly config: DetectorConfig) {}

  /** The heartbeat of the stall in progress, or null. */
  get openStallBeat(): number | null {
    return this.open?.beatMs ?? null;
  }

  /** How long until poll() would open a stall on this heartbeat, if it stays unchanged (<= 0: now). */
  msUntilStall(nowMs: number, beatMs: number): number {
    return beatMs + this.config.heartbeatMs + this.config.thresholdMs - nowMs;
  }

  poll(nowMs: number, beatMs: number): DetectorEvent[] {
    const elapsedMs = nowMs - beatMs - this.config.heartbeatMs;
    const open = this.open;
    if (open !== null) {
      if (beatMs !== open.beatMs) {
        this.open = null;
        return [{ type: 'stall-resumed', beatMs: open.beatMs, elapsedMs: beatMs - open.beatMs - this.config.heartbeatMs }];
      }
      const events: DetectorEvent[] = [];
      if (!open.hangReported && elapsedMs >= this.config.hangMs) {
        open.hangReported = true;
        events.push({ type: 'hang', beatMs, elapsedMs });
      } else if (nowMs >= open.nextSampleMs && open.samples < this.config.maxSamples) {
        open.samples += 1;
        open.nextSampleMs = nowMs + this.config.sampleIntervalMs;
        events.push({ type: 'sample', beatMs, elapsedMs });
      }
      return events;
    }
    if (elapsedMs >= this.config.thresholdMs) {
      this.open = { beatMs, nextSampleMs: nowMs + this.config.sampleIntervalMs, samples: 0, hangReported: false };
      return [{ type: 'stall-start', beatMs, elapsedMs }];
    }
    return [];
  }
}
