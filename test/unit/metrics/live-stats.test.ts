import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createLiveStats } from '../../../src/feature';
import { createLiveStatsMetrics } from '../../../src/metrics/live-stats';

async function read(registry: Registry, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  return metric.values.map((v) => ({ labels: v.labels, value: v.value }));
}

describe('createLiveStatsMetrics', () => {
  it('mirrors the live counters at collection time, and reads zero with no source', async () => {
    const live = createLiveStatsMetrics();
    const registry = new Registry();
    for (const metric of live.metrics) registry.registerMetric(metric);
    expect(await read(registry, 'loopwatch_unhandled_rejections_total')).toEqual([{ labels: {}, value: 0 }]);

    const stats = createLiveStats();
    live.setSource(stats);
    stats.unhandledRejections = 2;
    stats.floatingPromises = 5;
    stats.syncApis.set('fs.readFileSync', { calls: 3, totalMs: 1500, slowCalls: 1, maxMs: 1200 });
    stats.syncApis.set('zlib.gzipSync', { calls: 0, totalMs: 0, slowCalls: 0, maxMs: 0 });
    expect(await read(registry, 'loopwatch_unhandled_rejections_total')).toEqual([{ labels: {}, value: 2 }]);
    expect(await read(registry, 'loopwatch_floating_promises_total')).toEqual([{ labels: {}, value: 5 }]);
    // Never-called APIs get no series.
    expect(await read(registry, 'loopwatch_sync_api_calls_total')).toEqual([{ labels: { api: 'fs.readFileSync' }, value: 3 }]);
    expect(await read(registry, 'loopwatch_sync_api_seconds_total')).toEqual([{ labels: { api: 'fs.readFileSync' }, value: 1.5 }]);

    stats.unhandledRejections = 3;
    expect(await read(registry, 'loopwatch_unhandled_rejections_total')).toEqual([{ labels: {}, value: 3 }]);
  });

  it('stays monotonic when the source is replaced by a fresh one', async () => {
    const live = createLiveStatsMetrics();
    const registry = new Registry();
    for (const metric of live.metrics) registry.registerMetric(metric);
    const first = createLiveStats();
    first.rejectionsHandledLate = 4;
    live.setSource(first);
    await registry.metrics();
    const second = createLiveStats();
    second.rejectionsHandledLate = 1;
    live.setSource(second);
    expect(await read(registry, 'loopwatch_rejections_handled_late_total')).toEqual([{ labels: {}, value: 5 }]);
  });
});
