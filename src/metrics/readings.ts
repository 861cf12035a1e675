/**
 * The numbers both exporters (Prometheus, OpenTelemetry) read the same way, kept apart from
 * prom-client so the OpenTelemetry side never loads it: loop-delay readings and stall buckets.
 */
import type { IntervalHistogram } from 'node:perf_hooks';

export const DELAY_RESOLUTION_MS = 10;
/** Fewer samples than this say nothing about percentiles: keep accumulating until the next read. */
const MIN_SAMPLES = 5;
export const QUANTILES = [0.5, 0.9, 0.99] as const;

export interface DelayReading {
  /** Seconds by quantile, resolution subtracted, never negative or NaN. */
  quantiles: Map<number, number>;
  maxSeconds: number;
}

/** Turns a raw histogram value (ns, resolution included, NaN when empty) into honest seconds. */
export function delaySeconds(ns: number, resolutionMs: number): number {
  if (!Number.isFinite(ns)) return 0;
  return Math.max(0, ns / 1e9 - resolutionMs / 1000);
}

/** Reads and resets the histogram; null when it holds too few samples to be worth a reading. */
export function readDelay(histogram: Pick<IntervalHistogram, 'count' | 'percentile' | 'max' | 'reset'>, resolutionMs: number): DelayReading | null {
  if (histogram.count < MIN_SAMPLES) return null;
  const quantiles = new Map<number, number>();
  for (const q of QUANTILES) quantiles.set(q, delaySeconds(histogram.percentile(q * 100), resolutionMs));
  const reading = { quantiles, maxSeconds: delaySeconds(histogram.max, resolutionMs) };
  histogram.reset();
  return reading;
}

/** Upper bounds above the threshold, in seconds, on the usual 1-2.5-5 ladder up to 30 s. */
const LADDER_SECONDS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Histogram buckets from the stall threshold (nothing shorter is ever observed) up to 30 s. */
export function stallBuckets(thresholdMs: number): number[] {
  const threshold = thresholdMs / 1000;
  return [threshold, ...LADDER_SECONDS.filter((bound) => bound > threshold)];
}
