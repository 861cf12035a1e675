import { describe, expect, it } from 'vitest';
import { BusyWatch, SAMPLE_MS, STEP_MS, type BusyParts, type BusyStep } from '../../../src/watchdog/busy';
import type { Frame } from '../../../src/stack/frames';

const APP: Frame = { file: '/app/render.js', line: 8, column: 3, function: 'render' };
const TIMERS: Frame = { file: 'node:internal/timers', line: 581, column: 17, function: 'listOnTimeout' };

/** A loop `busyShare` busy, a fake clock, and samples answered at once with `stack`. */
function harness(busyShare: number, stack: Frame[] = [APP, TIMERS], overrides: Partial<BusyParts> = {}) {
  let now = 0;
  const steps: BusyStep[] = [];
  const changes: Array<[boolean, number]> = [];
  let samplesAsked = 0;
  let stalled = false;
  const watch = new BusyWatch({
    percent: 80,
    windowMs: 3000,
    nowMs: () => now,
    activeMs: () => 1 + now * busyShare,
    stalled: () => stalled,
    sample: () => {
      samplesAsked += 1;
      return Promise.resolve({ frames: stack });
    },
    betweenCallbacks: (frames) => frames.every((frame) => frame.file.startsWith('node:')),
    step: (step) => void steps.push(step),
    changed: (busy, utilisation) => void changes.push([busy, utilisation]),
    ...overrides,
  });
  /** Advances the clock by `ms` in 10 ms polls, letting each sample's promise settle. */
  const run = async (ms: number): Promise<void> => {
    for (let end = now + ms; now < end; now += 10) {
      watch.tick();
      await Promise.resolve();
      await Promise.resolve();
    }
  };
  return { watch, run, steps, changes, samplesAsked: () => samplesAsked, stall: (on: boolean) => (stalled = on) };
}

describe('BusyWatch', () => {
  it('says when its next tick is due: the end of the step, and the next sample while busy', async () => {
    const { watch, run } = harness(0.9);
    expect(watch.dueInMs()).toBe(Infinity);
    await run(10);
    // One reading taken at 0; the clock is now at 10.
    expect(watch.dueInMs()).toBe(STEP_MS - 10);
    await run(3100);
    // Busy: a sample every SAMPLE_MS, sooner than the step's end.
    expect(watch.dueInMs()).toBeLessThanOrEqual(SAMPLE_MS);
  });

  it('decides nothing until a whole window is read, then samples 10 times a second and hands over each second', async () => {
    const { run, steps, changes, samplesAsked } = harness(0.9);
    await run(2900);
    expect(changes).toEqual([]);
    expect(samplesAsked()).toBe(0);
    await run(200);
    // Busy, and sampling; told with the first second handed over.
    expect(samplesAsked()).toBeGreaterThan(0);
    expect(changes).toEqual([]);
    await run(STEP_MS);
    expect(changes).toEqual([[true, expect.closeTo(0.9, 5)]]);
    expect(steps).toHaveLength(1);
    expect(steps[0]!.activeMs).toBeCloseTo(0.9 * STEP_MS, 5);
    expect(steps[0]!.stacks).toHaveLength(STEP_MS / SAMPLE_MS);
  });

  it('never samples a loop below the level', async () => {
    const { run, changes, samplesAsked, steps } = harness(0.5);
    await run(10_000);
    expect(changes).toEqual([]);
    expect(samplesAsked()).toBe(0);
    expect(steps).toEqual([]);
  });

  it('drops samples that landed between callbacks, and leaves a second with a stall to the stall', async () => {
    const between = harness(0.9, [TIMERS]);
    await between.run(5000);
    expect(between.steps.length).toBeGreaterThan(0);
    expect(between.steps.every((step) => step.stacks.length === 0)).toBe(true);

    const withStall = harness(0.9);
    await withStall.run(3500);
    withStall.stall(true);
    const asked = withStall.samplesAsked();
    await withStall.run(500);
    withStall.stall(false);
    expect(withStall.samplesAsked()).toBe(asked);
    const stepsBefore = withStall.steps.length;
    await withStall.run(STEP_MS);
    // The second the stall went on in is not handed over; the next one is.
    expect(withStall.steps.length).toBe(stepsBefore);
    await withStall.run(STEP_MS);
    expect(withStall.steps.length).toBe(stepsBefore + 1);
  });

  it('a loop kept busy by stalls alone is never called busy', async () => {
    const { run, steps, changes, stall } = harness(0.95);
    stall(true);
    await run(10_000);
    expect(steps).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('at exit, hands over the second going on and ends the busy period', async () => {
    const { watch, run, steps, changes } = harness(0.9);
    await run(3500);
    const before = steps.length;
    watch.flush();
    expect(steps.length).toBe(before + 1);
    expect(changes.at(-1)).toEqual([false, 0]);
  });
});
