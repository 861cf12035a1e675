/**
 * A saturated loop: callbacks each under the stall threshold, back to back, so the loop is busy
 * most of the time and requests queue, with no stall to report. The main thread publishes its
 * event-loop active time (LOOP_ACTIVE_INDEX); once the loop has been busy at least
 * LOOPWATCH_BUSY_PERCENT of LOOPWATCH_BUSY_WINDOW_MS, its stack is sampled every SAMPLE_MS and
 * each second's busy time is split over the sites the samples landed on
 * (docs/report.md, "Busy loop"). Utilisation is measured; the split is a sampling estimate, as a
 * profiler's is.
 */
import type { Frame } from '../stack/frames';
import type { SampleResult } from './watched';

/** Utilisation is read, and busy time attributed, once per step. */
export const STEP_MS = 1000;
/** 10 samples a second while busy: each costs the app thread one V8 interrupt (microseconds). */
export const SAMPLE_MS = 100;

/** One step's busy time, split over the sites its samples landed on. */
export interface BusyStep {
  /** The loop's active time in the step. */
  activeMs: number;
  /** Each sample's stack (the app thread was running JavaScript). */
  stacks: Frame[][];
}

export interface BusyParts {
  percent: number;
  windowMs: number;
  nowMs(): number;
  /** The main thread's event-loop active time so far (0 until it publishes it). */
  activeMs(): number;
  /** A stall is going on: its own samples and record cover this time. */
  stalled(): boolean;
  /** A stack of the running callback; `{ frames: null }` without stacks (busy time still counts, unattributed). */
  sample(): Promise<SampleResult>;
  /**
   * Whether a sample landed between callbacks: only loopwatch's heartbeat or Node's own code (its
   * timer and I/O dispatch) on the stack. A sample asked for while the loop is idle lands there, at
   * the next JavaScript to run; counted, it would blame the idle time on whatever ran next.
   */
  betweenCallbacks(frames: Frame[]): boolean;
  step(step: BusyStep): void;
  /**
   * The loop became busy (true), told with its first second handed over (a loop kept busy by
   * stalls alone is the stall report's, and never called busy), or calm again (false).
   */
  changed(busy: boolean, utilisation: number): void;
}

interface Reading {
  atMs: number;
  activeMs: number;
}

export class BusyWatch {
  private readonly readings: Reading[] = [];
  private busy = false;
  private stepStacks: Frame[][] = [];
  /** A stall went on during this step: the step is left to it. */
  private stallInStep = false;
  private nextSampleMs = 0;
  private sampling = false;
  /** The busy period was told (see `changed`), with the utilisation that started it. */
  private told = false;
  private startingUtilisation = 0;

  constructor(private readonly parts: BusyParts) {}

  /** Called at every watchdog poll. */
  tick(): void {
    const nowMs = this.parts.nowMs();
    if (this.parts.stalled()) this.stallInStep = true;
    const last = this.readings[this.readings.length - 1];
    if (last === undefined || nowMs - last.atMs >= STEP_MS) this.endStep(nowMs, last);
    if (this.busy && !this.sampling && !this.parts.stalled() && nowMs >= this.nextSampleMs) {
      this.nextSampleMs = nowMs + SAMPLE_MS;
      this.takeSample();
    }
  }

  /** How soon tick() has work: the end of the step, or the next sample while busy; Infinity before the first reading. */
  dueInMs(): number {
    const last = this.readings[this.readings.length - 1];
    if (last === undefined) return Infinity;
    const nowMs = this.parts.nowMs();
    const stepDue = last.atMs + STEP_MS - nowMs;
    return this.busy && !this.sampling ? Math.min(stepDue, this.nextSampleMs - nowMs) : stepDue;
  }

  /** At exit: the step going on is attributed as far as it went, and a busy period ends. */
  flush(): void {
    const last = this.readings[this.readings.length - 1];
    const activeMs = this.parts.activeMs();
    if (this.busy && last !== undefined && !this.stallInStep && activeMs > last.activeMs) {
      this.handOver(activeMs, this.parts.nowMs(), last);
    }
    this.stepStacks = [];
    this.setBusy(false, 0);
  }

  /** Hands over the step since `last`: its active time, never more than the time that passed. */
  private handOver(activeMs: number, nowMs: number, last: Reading): void {
    if (!this.told) {
      this.told = true;
      this.parts.changed(true, this.startingUtilisation);
    }
    this.parts.step({ activeMs: Math.min(activeMs - last.activeMs, nowMs - last.atMs), stacks: this.stepStacks });
  }

  private setBusy(busy: boolean, utilisation: number): void {
    if (busy === this.busy) return;
    this.busy = busy;
    if (busy) this.startingUtilisation = utilisation;
    else if (this.told) {
      this.told = false;
      this.parts.changed(false, utilisation);
    }
  }

  private endStep(nowMs: number, last: Reading | undefined): void {
    const activeMs = this.parts.activeMs();
    // Nothing published yet (the first half second), or an active time that went backwards.
    if (activeMs === 0 || (last !== undefined && activeMs < last.activeMs)) return;
    if (this.busy && last !== undefined && !this.stallInStep) this.handOver(activeMs, nowMs, last);
    this.stepStacks = [];
    this.stallInStep = false;
    this.readings.push({ atMs: nowMs, activeMs });
    // Keep the oldest reading at or before the window's start.
    while (this.readings.length > 2 && nowMs - this.readings[1]!.atMs >= this.parts.windowMs) this.readings.shift();
    const oldest = this.readings[0]!;
    const spanMs = nowMs - oldest.atMs;
    // A window not full yet decides nothing.
    if (spanMs < this.parts.windowMs) return;
    const utilisation = Math.min(1, (activeMs - oldest.activeMs) / spanMs);
    this.setBusy(utilisation * 100 >= this.parts.percent, utilisation);
  }

  private takeSample(): void {
    this.sampling = true;
    const stacksOfStep = this.stepStacks;
    void this.parts
      .sample()
      .then((result) => {
        // A sample from a step already closed would be counted against the wrong second.
        if (result.frames !== null && result.frames.length > 0 && stacksOfStep === this.stepStacks && !this.parts.betweenCallbacks(result.frames)) this.stepStacks.push(result.frames);
      })
      .catch(() => undefined)
      .finally(() => {
        this.sampling = false;
      });
  }
}
