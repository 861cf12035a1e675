import { describe, expect, it } from 'vitest';
import { blockingLine, runFixture } from '../run-fixture';

describe('OpenTelemetry metrics', () => {
  it('reach an SDK registered after the preload, including a stall from before it was registered', async () => {
    const result = await runFixture('metrics-otel.js');
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('Warning');
    const metrics: any[] = JSON.parse(result.stdout);
    const byName = new Map(metrics.map((metric) => [metric.name, metric]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'loopwatch.eventloop.stall.duration',
        'loopwatch.eventloop.stalls',
        'loopwatch.eventloop.blocked_time',
        'loopwatch.eventloop.stall.max',
        'loopwatch.sites.overflow',
        'loopwatch.eventloop.delay',
        'loopwatch.eventloop.delay.max',
        'loopwatch.eventloop.utilization',
        'loopwatch.eventloop.time',
        'loopwatch.sync_api.calls',
        'loopwatch.sync_api.time',
        'loopwatch.promises.unhandled_rejections',
        'loopwatch.promises.rejections_handled_late',
        'loopwatch.promises.floating',
      ].sort(),
    );
    const durations = byName.get('loopwatch.eventloop.stall.duration');
    expect(durations.unit).toBe('s');
    // Both stalls, the 300 ms one from before the SDK existed and the 250 ms one after.
    expect(durations.points[0].value.count).toBe(2);
    expect(durations.points[0].value.max).toBeGreaterThanOrEqual(0.28);
    // Buckets from the 100 ms threshold up to 30 s, as for Prometheus.
    expect(durations.points[0].value.buckets.boundaries[0]).toBe(0.1);
    expect(durations.points[0].value.buckets.boundaries.at(-1)).toBe(30);
    const site = `test/integration/fixtures/metrics-otel.js:${blockingLine('metrics-otel.js')}`;
    expect(byName.get('loopwatch.eventloop.stalls').points).toEqual([{ attributes: { site }, value: 2 }]);
    expect(byName.get('loopwatch.eventloop.stall.max').points[0].value).toBe(durations.points[0].value.max);
  });
});
