import { describe, expect, it } from 'vitest';
import { delaySeconds, readDelay } from '../../../src/metrics/readings';

function fakeHistogram(count: number, valuesNs: Record<number, number>, maxNs: number) {
  return {
    count,
    max: maxNs,
    resets: 0,
    percentile(p: number) {
      return valuesNs[p] ?? NaN;
    },
    reset() {
      this.resets += 1;
    },
  };
}

describe('delaySeconds', () => {
  it('subtracts the timer resolution, so an idle loop reads ~0, never below 0', () => {
    expect(delaySeconds(10_200_000, 10)).toBeCloseTo(0.0002, 9);
    expect(delaySeconds(9_000_000, 10)).toBe(0);
  });
  it('maps NaN and infinities to 0', () => {
    expect(delaySeconds(NaN, 10)).toBe(0);
    expect(delaySeconds(Infinity, 10)).toBe(0);
  });
});

describe('readDelay', () => {
  it('reads percentiles and max in seconds, then resets the histogram', () => {
    const histogram = fakeHistogram(100, { 50: 10_500_000, 90: 12_000_000, 99: 1_010_000_000 }, 1_010_000_000);
    const reading = readDelay(histogram, 10)!;
    expect([...reading.quantiles]).toEqual([
      [0.5, expect.closeTo(0.0005, 9)],
      [0.9, expect.closeTo(0.002, 9)],
      [0.99, expect.closeTo(1, 9)],
    ]);
    expect(reading.maxSeconds).toBeCloseTo(1, 9);
    expect(histogram.resets).toBe(1);
  });

  it('keeps accumulating (no reading, no reset) while there are too few samples', () => {
    const histogram = fakeHistogram(2, { 50: 2_000_000_000 }, 2_000_000_000);
    expect(readDelay(histogram, 10)).toBeNull();
    expect(histogram.resets).toBe(0);
  });
});
