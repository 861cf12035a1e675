/**
 * The watchdog's rules, driven with a fake clock, fake timers and a fake sampler: no thread, no
 * sleep. The integration tests run the same rules for real (test/integration/core, threads, capture).
 */
import { describe, expect, it } from 'vitest';
import { WatchdogCore, HANG_CAPTURE_WAIT_MS, type CoreParts } from '../../../src/watchdog/core';
import { BEAT_INDEX, HEARTBEAT_MS, IDLE_POLL_MAX_MS, POLL_MS, EXITING_INDEX, SYNC_CALL_INDEX, FLUSH_ACK_INDEX, REGISTRY_BYTES, SHARED_BYTES, WATCHDOG_MARK, type FromWatchdog, type WatchdogData } from '../../../src/watchdog/shared';
import type { SampleResult, Sampler } from '../../../src/watchdog/watched';
import type { Report } from '../../../src/report/report';
import { DEFAULTS } from '../../../src/options';

const MS = 1_000_000n;
const APP_FRAME = { file: '/app/orders.js', line: 12, column: 5, function: 'total' };

/** A sampler whose answers the test gives, one pending sample at a time. */
class FakeSampler implements Sampler {
  calls = 0;
  private answer: ((result: SampleResult) => void) | null = null;
  sample(): Promise<SampleResult> {
    this.calls += 1;
    return new Promise((resolve) => (this.answer = resolve));
  }
  /** Answers the pending sample, and lets the watchdog's promise chain run. */
  async answerWith(result: SampleResult): Promise<void> {
    this.answer?.(result);
    this.answer = null;
    await new Promise((resolve) => setImmediate(resolve));
  }
  end(): Promise<void> {
    return Promise.resolve();
  }
  endNow(): void {}
}

/** `startedUp`: the main thread has said start-up is over, as it does at its first loop turn. */
function setup(options: Partial<WatchdogData['options']> = {}, startedUp = true) {
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const beats = new BigInt64Array(shared);
  const flags = new Int32Array(shared);
  const sampler = new FakeSampler();
  const sent: FromWatchdog[] = [];
  const lines: string[] = [];
  const always: string[] = [];
  const reports: Report[] = [];
  const stderr: string[] = [];
  const timers: Array<{ at: bigint; run: () => void }> = [];
  let now = 1_000n * MS;
  Atomics.store(beats, BEAT_INDEX, now);
  const data: WatchdogData = {
    [WATCHDOG_MARK]: true,
    shared,
    registry: new SharedArrayBuffer(REGISTRY_BYTES),
    options: { ...DEFAULTS, report: '/reports/report.json', ...options },
    pid: 42,
    cwd: '/app',
    startedAt: new Date(0).toISOString(),
    agentRoots: ['/loopwatch/dist'],
    capture: 'native',
    warnedAtStart: [],
    noWarnings: false,
  };
  const parts: CoreParts = {
    data,
    nowNs: () => now,
    nowMs: () => Number(now / MS),
    setTimeout: (run, ms) => timers.push({ at: now + BigInt(ms) * MS, run }),
    send: (message) => sent.push(message),
    writeStderr: (text) => stderr.push(text),
    log: () => ({ line: (text) => lines.push(text), always: (text) => always.push(text), reportSuppressed: () => undefined }),
    writeReportFile: (_path, report) => reports.push(report),
    samplers: () => ({ forThread: (threadId) => (threadId === 0 ? sampler : null), warmUp: () => undefined, close: () => undefined }),
  };
  const core = new WatchdogCore(parts);
  // Ended a second before the fake clock's start: no stall of a test began before it.
  if (startedUp) core.onMainMessage({ type: 'startup-ended', endNs: String(now - 1000n * MS) });
  /** Moves the clock, runs the timers due, and polls as the worker's interval would. */
  const advance = async (ms: number): Promise<void> => {
    now += BigInt(ms) * MS;
    for (const timer of timers.splice(0).filter((t) => (t.at <= now ? true : (timers.push(t), false)))) timer.run();
    core.tick();
    await new Promise((resolve) => setImmediate(resolve));
  };
  const beat = (): bigint => {
    Atomics.store(beats, BEAT_INDEX, now);
    return now;
  };
  return { core, sampler, sent, lines, always, reports, stderr, flags, advance, beat, nowNs: () => now, failWrites: () => (parts.writeReportFile = () => { throw new Error('EACCES: permission denied'); }) };
}

describe('WatchdogCore', () => {
  it('sleeps until the heartbeat could be late by the threshold, and polls every POLL_MS while the stall lasts', async () => {
    const t = setup({ thresholdMs: 30 });
    t.beat();
    expect(t.core.nextPollInMs()).toBe(HEARTBEAT_MS + 30);
    await t.advance(25);
    expect(t.core.nextPollInMs()).toBe(15);
    // Woken when asked to: the stall is noticed as it crosses the threshold.
    await t.advance(15);
    expect(t.sampler.calls).toBe(1);
    expect(t.core.nextPollInMs()).toBe(POLL_MS);
    await t.sampler.answerWith({ frames: [APP_FRAME] });
    t.core.onMainMessage({ type: 'stall', durationMs: 35, endNs: String(t.beat()) });
    await t.advance(0);
    expect(t.core.nextPollInMs()).toBe(HEARTBEAT_MS + 30);
  });

  it('sleeps at most IDLE_POLL_MAX_MS, for threads that register meanwhile', () => {
    const t = setup({ thresholdMs: 1000 });
    expect(t.core.nextPollInMs()).toBe(IDLE_POLL_MAX_MS);
  });

  it('puts a stall that began before start-up ended in the start-up phase, and the same line later in a site of its own', async () => {
    const t = setup({}, false);
    await t.advance(120);
    await t.sampler.answerWith({ frames: [APP_FRAME] });
    await t.advance(0);
    const startupStallEnd = t.beat();
    t.core.onMainMessage({ type: 'stall', durationMs: 110, endNs: String(startupStallEnd) });
    await t.advance(0);
    t.core.onMainMessage({ type: 'startup-ended', endNs: String(t.nowNs()) });
    await t.advance(120);
    await t.sampler.answerWith({ frames: [APP_FRAME] });
    await t.advance(0);
    t.core.onMainMessage({ type: 'stall', durationMs: 110, endNs: String(t.beat()) });
    await t.advance(0);
    expect(t.lines).toEqual(['event loop blocked 110 ms during start-up at orders.js:12 (total)', 'event loop blocked 110 ms at orders.js:12 (total)']);
    expect(t.sent.filter((message) => message.type === 'stall').map((message) => (message.type === 'stall' ? message.phase : null))).toEqual(['startup', 'runtime']);
    t.core.onMainMessage({ type: 'flush', seq: 1, nowNs: String(t.nowNs()), final: true });
    await t.advance(0);
    const report = t.reports.at(-1)!;
    expect(report.sites.map((site) => [site.phase, site.count]).sort()).toEqual([['runtime', 1], ['startup', 1]]);
    expect(report.summary.startup).toEqual({ stalls: 1, totalBlockedMs: 110 });
  });

  it('samples a thread late by the threshold, and records the stall at its site when the thread posts its duration', async () => {
    const t = setup();
    await t.advance(50);
    expect(t.sampler.calls).toBe(0);
    await t.advance(70); // 120 ms since the beat: 110 ms late, past the 100 ms threshold
    expect(t.sampler.calls).toBe(1);
    await t.sampler.answerWith({ frames: [APP_FRAME] });
    await t.advance(0);
    const endNs = t.beat();
    t.core.onMainMessage({ type: 'stall', durationMs: 130, endNs: String(endNs) });
    await t.advance(0);
    expect(t.lines).toEqual(['event loop blocked 130 ms at orders.js:12 (total)']);
    expect(t.sent).toContainEqual({ type: 'stall', durationMs: 130, site: 'orders.js:12', api: null, kind: 'cpu', threadId: 0, phase: 'runtime' });
  });

  it('counts a stall at a LOOPWATCH_IGNORE_SITES site as ignored only: no line, no site, no stall; flagged for the metrics', async () => {
    const t = setup({ ignoreSites: ['orders.js:12', 'startup:other.js'] });
    const stallAt = async (frame: typeof APP_FRAME, durationMs: number): Promise<void> => {
      await t.advance(120);
      await t.sampler.answerWith({ frames: [frame] });
      await t.advance(0);
      t.core.onMainMessage({ type: 'stall', durationMs, endNs: String(t.beat()) });
      await t.advance(0);
    };
    await stallAt(APP_FRAME, 130);
    await stallAt(APP_FRAME, 140);
    // `startup:` only: this runtime stall is not ignored.
    await stallAt({ ...APP_FRAME, file: '/app/other.js' }, 150);
    expect(t.lines).toEqual(['event loop blocked 150 ms at other.js:12 (total)']);
    expect(t.sent.filter((message) => message.type === 'stall')).toEqual([
      { type: 'stall', durationMs: 130, site: 'orders.js:12', api: null, kind: 'cpu', threadId: 0, phase: 'runtime', ignored: true },
      { type: 'stall', durationMs: 140, site: 'orders.js:12', api: null, kind: 'cpu', threadId: 0, phase: 'runtime', ignored: true },
      { type: 'stall', durationMs: 150, site: 'other.js:12', api: null, kind: 'cpu', threadId: 0, phase: 'runtime' },
    ]);
    t.core.onMainMessage({ type: 'flush', seq: 1, nowNs: String(t.nowNs()), final: true });
    await t.advance(0);
    const report = t.reports.at(-1)!;
    expect(report.sites.map((site) => `${site.file}:${site.line}`)).toEqual(['/app/other.js:12']);
    expect(report.stalls.map((stall) => stall.durationMs)).toEqual([150]);
    expect(report.summary).toMatchObject({ stalls: 1, totalBlockedMs: 150 });
    expect(report.ignored).toEqual({ count: 2, totalMs: 270, bySite: { 'orders.js:12': 2 } });
  });

  it('a hang at an ignored site writes the report without the hang line or the stall', async () => {
    const t = setup({ hangMs: 1000, ignoreSites: ['orders.js'] });
    await t.advance(120);
    await t.sampler.answerWith({ frames: [APP_FRAME] });
    for (let elapsed = 120; elapsed < 1100; elapsed += 100) {
      await t.advance(100);
      await t.sampler.answerWith({ frames: [APP_FRAME] });
    }
    expect(t.reports.at(-1)!.reason).toBe('hang');
    expect(t.always).toEqual([]);
    expect(t.reports.at(-1)!.stalls).toEqual([]);
    expect(t.reports.at(-1)!.summary.stalls).toBe(0);
  });

  it('re-samples a long stall, and keeps each sample', async () => {
    const t = setup();
    await t.advance(120);
    await t.sampler.answerWith({ frames: [APP_FRAME] });
    for (let i = 0; i < 3; i++) {
      await t.advance(100);
      await t.sampler.answerWith({ frames: [{ ...APP_FRAME, line: 20 + i }] });
    }
    expect(t.sampler.calls).toBe(4);
    t.core.onMainMessage({ type: 'stall', durationMs: 420, endNs: String(t.beat()) });
    await t.advance(300);
    const stall = t.reports.at(-1)!.stalls[0]!;
    expect(stall.site?.line).toBe(12);
    expect(stall.samples.map((sample) => sample.stack[0]!.line)).toEqual([20, 21, 22]);
  });

  it(`writes the hang line while a capture is still in flight, after ${HANG_CAPTURE_WAIT_MS} ms at most`, async () => {
    const t = setup({ hangMs: 1000 });
    await t.advance(120); // a capture goes out and never answers (the thread is inside a native call)
    for (let elapsed = 120; elapsed < 1020; elapsed += 100) await t.advance(100);
    expect(t.always).toEqual([]);
    await t.advance(HANG_CAPTURE_WAIT_MS);
    expect(t.always).toHaveLength(1);
    expect(t.always[0]).toMatch(/^event loop blocked for 10\d\d ms and still blocked/);
    expect(t.reports.at(-1)!.reason).toBe('hang');
  });

  it('the final flush records the stall still open, writes the report and releases the main thread', async () => {
    const t = setup();
    await t.advance(300);
    await t.sampler.answerWith({ frames: [APP_FRAME] });
    await t.advance(0);
    t.core.onMainMessage({ type: 'flush', seq: 1, nowNs: String(t.nowNs()), final: true });
    expect(Atomics.load(t.flags, FLUSH_ACK_INDEX)).toBe(1);
    const report = t.reports.at(-1)!;
    expect(report.reason).toBe('exit');
    expect(report.stalls[0]).toMatchObject({ durationMs: 290, site: APP_FRAME });
  });

  it('says a report it cannot write at exit on stderr itself: the main thread no longer prints warnings', () => {
    const t = setup();
    t.failWrites();
    t.core.onMainMessage({ type: 'flush', seq: 1, nowNs: String(t.nowNs()), final: true });
    expect(t.sent.filter((message) => message.type === 'warning')).toEqual([]);
    expect(t.stderr).toEqual(['(node:42) [LOOPWATCH_REPORT_UNWRITABLE] LoopwatchWarning: loopwatch: cannot write LOOPWATCH_REPORT=/reports/report.json (EACCES: permission denied)\n']);
    expect(Atomics.load(t.flags, FLUSH_ACK_INDEX)).toBe(1);
  });

  it('starts no capture once the process is exiting', async () => {
    const t = setup();
    Atomics.store(t.flags, EXITING_INDEX, 1);
    await t.advance(300);
    expect(t.sampler.calls).toBe(0);
  });

  it('spends no capture beyond the budget: the stall is still recorded, with the reason', async () => {
    const t = setup({ maxCapturesPerMinute: 1 });
    await t.advance(120);
    await t.sampler.answerWith({ frames: [APP_FRAME] });
    t.core.onMainMessage({ type: 'stall', durationMs: 130, endNs: String(t.beat()) });
    await t.advance(0);
    await t.advance(120);
    t.core.onMainMessage({ type: 'stall', durationMs: 125, endNs: String(t.beat()) });
    await t.advance(0);
    expect(t.sampler.calls).toBe(1);
    expect(t.lines[1]).toBe('event loop blocked 125 ms (no stack: stack capture rate-limited (LOOPWATCH_MAX_CAPTURES_PER_MIN))');
  });

  it('spends no capture when a sync call returns and the loop turns right after; captures when it stays blocked', async () => {
    const t = setup({ maxCapturesPerMinute: 1 });
    Atomics.store(t.flags, SYNC_CALL_INDEX, 1);
    await t.advance(120);
    expect(t.sampler.calls).toBe(0);
    // The call returns; the next sample comes before the heartbeat does: no capture yet.
    Atomics.store(t.flags, SYNC_CALL_INDEX, 0);
    await t.advance(DEFAULTS.sampleIntervalMs);
    expect(t.sampler.calls).toBe(0);
    // Still blocked a whole sample period after the return: other code holds the loop.
    await t.advance(DEFAULTS.sampleIntervalMs);
    expect(t.sampler.calls).toBe(1);
  });
});
