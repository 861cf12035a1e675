/**
 * Stall families: one observation per stall, so a single 1-second stall is visible (a p99 gauge of
 * loop delay hides it), counted and timed per blocking site.
 */
import { labels as labelsOf, noLabels } from './labels';
import type { Counter, Histogram, Gauge } from 'prom-client';
import { prom } from './prom';
import type { BusyEvent, StallEvent } from '../feature';
import { SiteLabels } from './sites';
import { stallBuckets } from './readings';

/**
 * `main` or `worker`, not the threadId: a pool that replaces its workers gets new threadIds without
 * end, and every label value is a new series. The report and the log name the exact thread.
 */
export function threadLabel(threadId: number): 'main' | 'worker' {
  return threadId === 0 ? 'main' : 'worker';
}

export interface StallMetrics {
  metrics: Array<Counter | Histogram | Gauge>;
  record(stall: StallEvent): void;
  recordBusy(busy: BusyEvent): void;
}

export function createStallMetrics(thresholdMs: number, maxSites: number): StallMetrics {
  const { Counter, Histogram, Gauge } = prom();
  const sites = new SiteLabels(maxSites);
  const stalls = new Counter({
    name: 'loopwatch_eventloop_stalls_total',
    help: 'Event-loop stalls longer than the threshold, by blocking site (relative file:line)',
    labelNames: ['site', 'thread', 'phase'],
    registers: [],
  });
  const duration = new Histogram({
    name: 'loopwatch_eventloop_stall_seconds',
    help: 'Duration of each event-loop stall, start-up apart from runtime',
    labelNames: ['phase'],
    buckets: stallBuckets(thresholdMs),
    registers: [],
    // A stall in a traced request leaves its trace as the bucket's exemplar. Only a registry that
    // speaks OpenMetrics prints exemplars; the Prometheus text format is unchanged.
    enableExemplars: true,
  });
  const blocked = new Counter({
    name: 'loopwatch_eventloop_blocked_seconds_total',
    help: 'Time the event loop was blocked by stalls, by blocking site',
    labelNames: ['site', 'thread', 'phase'],
    registers: [],
  });
  const longest = new Gauge({
    name: 'loopwatch_eventloop_stall_max_seconds',
    help: 'Longest single stall seen at each site since the process started',
    labelNames: ['site', 'thread', 'phase'],
    registers: [],
  });
  const longestBySite = new Map<string, number>();
  const overflow = new Counter({
    name: 'loopwatch_sites_overflow_total',
    help: 'Stalls whose site was folded into site="other" because LOOPWATCH_METRICS_MAX_SITES was reached',
    registers: [],
  });
  const ignored = new Counter({
    name: 'loopwatch_eventloop_ignored_stalls_total',
    help: 'Stalls at sites LOOPWATCH_IGNORE_SITES names, counted in no other stall family',
    registers: [],
  });
  const busySeconds = new Counter({
    name: 'loopwatch_eventloop_busy_seconds_total',
    help: 'Time a saturated event loop (busy past LOOPWATCH_BUSY_PERCENT, no stall needed) spent in callbacks, by site, as its samples split it',
    labelNames: ['site'],
    registers: [],
  });
  return {
    metrics: [stalls, duration, blocked, longest, overflow, ignored, busySeconds],
    recordBusy(busy) {
      // The site labels are shared with the stall families: one bound for every `site` label.
      const { site, overflow: overflowed } = sites.label(busy.site);
      busySeconds.inc(labelsOf({ site }), busy.ms / 1000);
      if (overflowed) overflow.inc(noLabels());
    },
    record(stall) {
      if (stall.ignored === true) {
        ignored.inc(noLabels());
        return;
      }
      const seconds = stall.durationMs / 1000;
      const { site, overflow: overflowed } = sites.label(stall.site);
      const labels = labelsOf({ site, thread: threadLabel(stall.threadId), phase: stall.phase });
      stalls.inc(labels);
      blocked.inc(labels, seconds);
      duration.observe({ labels: labelsOf({ phase: stall.phase }), value: seconds, exemplarLabels: traceExemplar(stall) });
      const key = `${labels.thread} ${labels.phase} ${site}`;
      if (seconds > (longestBySite.get(key) ?? 0)) {
        longestBySite.set(key, seconds);
        longest.set(labels, seconds);
      }
      if (overflowed) overflow.inc(noLabels());
    },
  };
}

/**
 * The exemplar a stall leaves on its histogram bucket: its trace, when it had one (empty: none).
 * prom-client types exemplar labels as the metric's own label names, which they never are.
 */
function traceExemplar(stall: StallEvent): Partial<Record<'phase', string>> {
  if (stall.trace === undefined) return noLabels();
  return labelsOf({ trace_id: stall.trace.traceId, span_id: stall.trace.spanId }) as Partial<Record<'phase', string>>;
}
