/**
 * Counters mirrored from the agent's LiveStats (sync-API timing, promise diagnostics), which other
 * features keep up to date. Read at collection time and added as deltas, so the counters stay
 * monotonic even if a source is swapped (a programmatic registerMetrics before the agent starts).
 */
import { labels as labelsOf, noLabels } from './labels';
import type { Counter } from 'prom-client';
import { prom } from './prom';
import type { LiveStats } from '../feature';

export interface LiveStatsMetrics {
  metrics: Counter[];
  /** Where to read from; null reads as zero until the agent starts. */
  setSource(stats: LiveStats | null): void;
}

export function createLiveStatsMetrics(): LiveStatsMetrics {
  const { Counter } = prom();
  let source: LiveStats | null = null;
  const seen = new Map<string, number>();
  /** Adds what grew since the last read; a source that went backwards (new agent) restarts from it. */
  const advance = (counter: Counter, key: string, value: number, labels?: Record<string, string>): void => {
    const last = seen.get(key) ?? 0;
    const delta = value >= last ? value - last : value;
    seen.set(key, value);
    counter.inc(labels ? labelsOf(labels) : noLabels(), delta);
  };

  const calls = new Counter({
    name: 'loopwatch_sync_api_calls_total',
    help: 'Calls to timed synchronous APIs (fs.*Sync, crypto.*Sync, zlib.*Sync, child_process.*Sync, ...)',
    labelNames: ['api'],
    registers: [],
    collect() {
      // An API never called gets no series: dozens of wrapped APIs would otherwise all export zeros.
      for (const [api, entry] of source?.syncApis ?? []) if (entry.calls > 0) advance(this, `calls:${api}`, entry.calls, { api });
    },
  });
  const seconds = new Counter({
    name: 'loopwatch_sync_api_seconds_total',
    help: 'Time the event loop spent inside timed synchronous API calls',
    labelNames: ['api'],
    registers: [],
    collect() {
      for (const [api, entry] of source?.syncApis ?? []) if (entry.calls > 0) advance(this, `seconds:${api}`, entry.totalMs / 1000, { api });
    },
  });
  const scalar = (name: string, help: string, read: (stats: LiveStats) => number): Counter =>
    new Counter({
      name,
      help,
      registers: [],
      collect() {
        advance(this, name, source === null ? 0 : read(source));
      },
    });
  return {
    metrics: [
      calls,
      seconds,
      scalar('loopwatch_unhandled_rejections_total', 'Promise rejections with no handler when the microtask queue drained', (s) => s.unhandledRejections),
      scalar('loopwatch_rejections_handled_late_total', 'Rejections that got a handler after being reported unhandled', (s) => s.rejectionsHandledLate),
      scalar('loopwatch_floating_promises_total', 'Promises garbage-collected without anyone awaiting or handling them', (s) => s.floatingPromises),
    ],
    setSource(stats) {
      source = stats;
    },
  };
}
