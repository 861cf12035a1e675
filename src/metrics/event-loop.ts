/**
 * Loop delay and utilization, read at collection time. Delay comes from perf_hooks'
 * monitorEventLoopDelay with its timer resolution subtracted (otherwise an idle loop reads as
 * ~10 ms), and is reset after each read so every scrape covers only the time since the previous one.
 */
import { labels, noLabels } from './labels';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Counter, Gauge } from 'prom-client';
import { prom } from './prom';
import { DELAY_RESOLUTION_MS, QUANTILES, readDelay } from './readings';

/** 0.99 -> "99", the label value users type in queries. */
function percentileLabel(quantile: number): string {
  return String(Math.round(quantile * 100));
}

export interface EventLoopMetrics {
  metrics: Array<Counter | Gauge>;
  stop(): void;
}

export function createEventLoopMetrics(): EventLoopMetrics {
  const { Counter, Gauge } = prom();
  const histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  histogram.enable();
  // Both delay gauges come from one read, and the histogram is reset once per scrape: the first
  // collect() of a scrape reads, the other reuses that reading (a scrape runs within one loop turn).
  let readThisTurn = false;
  const refresh = (): void => {
    if (readThisTurn) return;
    readThisTurn = true;
    setImmediate(() => (readThisTurn = false));
    const reading = readDelay(histogram, DELAY_RESOLUTION_MS);
    if (reading === null) return;
    for (const [q, seconds] of reading.quantiles) delay.set(labels({ percentile: percentileLabel(q) }), seconds);
    delayMax.set(noLabels(), reading.maxSeconds);
  };
  const delay = new Gauge({
    name: 'loopwatch_eventloop_delay_seconds',
    help: 'Event-loop delay percentiles since the previous scrape (timer resolution subtracted)',
    // Not `quantile`: Prometheus reserves that label for summaries (promtool check metrics rejects it).
    labelNames: ['percentile'],
    registers: [],
    collect: refresh,
  });
  const delayMax = new Gauge({
    name: 'loopwatch_eventloop_delay_max_seconds',
    help: 'Largest event-loop delay since the previous scrape (timer resolution subtracted)',
    registers: [],
    collect: refresh,
  });
  for (const q of QUANTILES) delay.set(labels({ percentile: percentileLabel(q) }), 0);

  // Seeded with a baseline so the first reading covers "since start", not "since process start = 1".
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  let lastTotals = lastElu;
  const utilization = new Gauge({
    name: 'loopwatch_eventloop_utilization_ratio',
    help: 'Fraction of time the event loop was busy since the previous scrape',
    registers: [],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(noLabels(), performance.eventLoopUtilization(now, lastElu).utilization);
      lastElu = now;
    },
  });
  const time = new Counter({
    name: 'loopwatch_eventloop_time_seconds_total',
    help: 'Time the event loop spent active or idle',
    labelNames: ['state'],
    registers: [],
    collect() {
      const now = performance.eventLoopUtilization();
      this.inc(labels({ state: 'active' }), Math.max(0, now.active - lastTotals.active) / 1000);
      this.inc(labels({ state: 'idle' }), Math.max(0, now.idle - lastTotals.idle) / 1000);
      lastTotals = now;
    },
  });
  return {
    metrics: [delay, delayMax, utilization, time],
    stop: () => histogram.disable(),
  };
}
