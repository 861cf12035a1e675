import { describe, expect, it } from 'vitest';
import { StallDetector, type DetectorEvent } from '../../../src/watchdog/detector';
import { RateLimiter } from '../../../src/rate-limiter';

const config = { thresholdMs: 100, hangMs: 1000, heartbeatMs: 10, sampleIntervalMs: 100, maxSamples: 3 };

/** Drives the detector with a fake clock: the loop beats every 10 ms except during `[from, to)`. */
function run(from: number, to: number, until: number): Array<DetectorEvent & { now: number }> {
  const detector = new StallDetector(config);
  const seen: Array<DetectorEvent & { now: number }> = [];
  let beat = 0;
  for (let now = 0; now <= until; now += 10) {
    if ((now < from || now >= to) && now - beat >= 10) beat = now;
    for (const event of detector.poll(now, beat)) seen.push({ ...event, now });
  }
  return seen;
}

describe('StallDetector', () => {
  it('stays quiet while the heartbeat is on time', () => {
    expect(run(10_000, 10_000, 2000)).toEqual([]);
  });

  it('ignores a delay just under the threshold', () => {
    expect(run(500, 600, 2000)).toEqual([]);
  });

  it('reports a stall within threshold + one poll of its start, then its end', () => {
    const events = run(500, 800, 2000);
    const start = events.find((event) => event.type === 'stall-start');
    expect(start).toBeDefined();
    expect(start!.now - 500).toBeGreaterThanOrEqual(100);
    expect(start!.now - 500).toBeLessThanOrEqual(100 + 20);
    const resumed = events.find((event) => event.type === 'stall-resumed');
    expect(resumed?.now).toBe(800);
    expect(resumed?.elapsedMs).toBe(800 - 490 - 10);
  });

  it('re-samples a long stall at the sample interval, bounded by maxSamples', () => {
    const samples = run(500, 900, 2000).filter((event) => event.type === 'sample');
    expect(samples.map((event) => event.now)).toEqual([700, 800]);
    const bounded = run(0, 1900, 2000).filter((event) => event.type === 'sample');
    expect(bounded).toHaveLength(3);
  });

  it('reports a hang once, while the loop is still blocked', () => {
    const events = run(100, 5000, 6000);
    const hangs = events.filter((event) => event.type === 'hang');
    expect(hangs).toHaveLength(1);
    expect(hangs[0]!.now).toBeLessThan(5000);
    expect(hangs[0]!.elapsedMs).toBeGreaterThanOrEqual(1000);
  });

  it('detects the next stall after one ended', () => {
    const detector = new StallDetector(config);
    expect(detector.poll(200, 0).map((event) => event.type)).toEqual(['stall-start']);
    expect(detector.poll(210, 205).map((event) => event.type)).toEqual(['stall-resumed']);
    expect(detector.poll(400, 205).map((event) => event.type)).toEqual(['stall-start']);
  });
});

describe('RateLimiter', () => {
  it('allows `limit` events in any window of the period, and no more', () => {
    const limiter = new RateLimiter(3, 60_000);
    expect([1, 2, 3, 4].map(() => limiter.tryTake(0))).toEqual([true, true, true, false]);
    // A token bucket would have refilled one by now; "3 per minute" has not.
    expect(limiter.tryTake(20_000)).toBe(false);
    expect(limiter.nextFreeMs(20_000)).toBe(60_000);
    expect(limiter.tryTake(60_000)).toBe(true);
    expect(limiter.tryTake(60_001)).toBe(true);
    expect(limiter.tryTake(60_002)).toBe(true);
    expect(limiter.tryTake(60_003)).toBe(false);
  });

  it('never lets more than `limit` through in any sliding window of a long, steady stream', () => {
    const limiter = new RateLimiter(60, 60_000);
    const allowed: number[] = [];
    for (let now = 0; now < 600_000; now += 37) if (limiter.tryTake(now)) allowed.push(now);
    for (let first = 0; first + 60 < allowed.length; first++) expect(allowed[first + 60]! - allowed[first]!).toBeGreaterThanOrEqual(60_000);
    expect(allowed.length).toBe(600);
  });

  it('never allows anything with limit 0', () => {
    const limiter = new RateLimiter(0, 1000);
    expect(limiter.tryTake(1e9)).toBe(false);
    expect(limiter.nextFreeMs(1e9)).toBe(Infinity);
  });
});
