/**
 * loopwatch's OpenTelemetry instruments on one meter: the same measurements as the Prometheus
 * families, named the OpenTelemetry way (dots, unit in `unit`, no `_total`).
 */
import type { Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { LiveStats } from '../feature';
import { readDelay, stallBuckets, DELAY_RESOLUTION_MS } from '../metrics/readings';
import type { StallTotals } from './stall-totals';

export interface InstrumentSources {
  thresholdMs: number;
  totals: StallTotals;
  delay: IntervalHistogram;
  stats(): LiveStats | null;
}

/** Creates the instruments; returns the stall-duration histogram, the only synchronous one. */
export function createInstruments(meter: Meter, sources: InstrumentSources): Histogram {
  const { totals } = sources;
  const duration = meter.createHistogram('loopwatch.eventloop.stall.duration', {
    description: 'Duration of each event-loop stall',
    unit: 's',
    advice: { explicitBucketBoundaries: stallBuckets(sources.thresholdMs) },
  });
  const perSite = (name: string, description: string, unit: string, read: (site: { count: number; seconds: number; maxSeconds: number }) => number, gauge = false): void => {
    const options = { description, unit };
    const instrument = gauge ? meter.createObservableGauge(name, options) : meter.createObservableCounter(name, options);
    instrument.addCallback((result: ObservableResult) => {
      for (const entry of totals.bySite.values()) result.observe(read(entry), { site: entry.site, phase: entry.phase });
    });
  };
  perSite('loopwatch.eventloop.stalls', 'Event-loop stalls longer than the threshold, by blocking site', '{stall}', (e) => e.count);
  perSite('loopwatch.eventloop.blocked_time', 'Time the event loop was blocked by stalls, by blocking site', 's', (e) => e.seconds);
  perSite('loopwatch.eventloop.stall.max', 'Longest single stall at each site since start', 's', (e) => e.maxSeconds, true);
  meter
    .createObservableCounter('loopwatch.sites.overflow', { description: 'Stalls folded into site="other"', unit: '{stall}' })
    .addCallback((result) => result.observe(totals.overflow));

  // One read per collection fills both delay gauges: the batch callback runs once per collect.
  const delay = meter.createObservableGauge('loopwatch.eventloop.delay', { description: 'Event-loop delay percentiles since the previous collection (timer resolution subtracted)', unit: 's' });
  const delayMax = meter.createObservableGauge('loopwatch.eventloop.delay.max', { description: 'Largest event-loop delay since the previous collection', unit: 's' });
  meter.addBatchObservableCallback((result) => {
    const reading = readDelay(sources.delay, DELAY_RESOLUTION_MS);
    if (reading === null) return;
    for (const [q, seconds] of reading.quantiles) result.observe(delay, seconds, { percentile: String(Math.round(q * 100)) });
    result.observe(delayMax, reading.maxSeconds);
  }, [delay, delayMax]);

  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  meter.createObservableGauge('loopwatch.eventloop.utilization', { description: 'Fraction of time the event loop was busy since the previous collection', unit: '1' }).addCallback((result) => {
    const now = performance.eventLoopUtilization();
    result.observe(performance.eventLoopUtilization(now, lastElu).utilization);
    lastElu = now;
  });
  meter.createObservableCounter('loopwatch.eventloop.time', { description: 'Time the event loop spent active or idle', unit: 's' }).addCallback((result) => {
    const { active, idle } = performance.eventLoopUtilization();
    result.observe(active / 1000, { state: 'active' });
    result.observe(idle / 1000, { state: 'idle' });
  });

  const calls = meter.createObservableCounter('loopwatch.sync_api.calls', { description: 'Calls to timed synchronous APIs', unit: '{call}' });
  const time = meter.createObservableCounter('loopwatch.sync_api.time', { description: 'Time spent inside timed synchronous API calls', unit: 's' });
  const unhandled = meter.createObservableCounter('loopwatch.promises.unhandled_rejections', { description: 'Promise rejections with no handler', unit: '{rejection}' });
  const late = meter.createObservableCounter('loopwatch.promises.rejections_handled_late', { description: 'Rejections handled after being reported unhandled', unit: '{rejection}' });
  const floating = meter.createObservableCounter('loopwatch.promises.floating', { description: 'Promises collected without being awaited or handled', unit: '{promise}' });
  meter.addBatchObservableCallback((result) => {
    const stats = sources.stats();
    for (const [api, entry] of stats?.syncApis ?? []) {
      if (entry.calls === 0) continue;
      result.observe(calls, entry.calls, { api });
      result.observe(time, entry.totalMs / 1000, { api });
    }
    result.observe(unhandled, stats?.unhandledRejections ?? 0);
    result.observe(late, stats?.rejectionsHandledLate ?? 0);
    result.observe(floating, stats?.floatingPromises ?? 0);
  }, [calls, time, unhandled, late, floating]);
  return duration;
}
