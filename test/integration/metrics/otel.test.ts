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
    // One point per phase (start-up, runtime): the fixture's stalls are runtime; loading the SDK can add a start-up one.
    expect(durations.points.map((p: any) => p.attributes.phase).every((phase: string) => phase === 'startup' || phase === 'runtime')).toBe(true);
    const runtime = durations.points.find((p: any) => p.attributes.phase === 'runtime');
    expect(runtime).toBeDefined();
    // Buckets from the 100 ms threshold up to 30 s, as for Prometheus.
    expect(runtime.value.buckets.boundaries).toEqual([0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
    const histogram = {
      count: durations.points.reduce((sum: number, p: any) => sum + p.value.count, 0),
      max: Math.max(...durations.points.map((p: any) => p.value.max)),
      buckets: { counts: runtime.value.buckets.counts.map((_: number, i: number) => durations.points.reduce((sum: number, p: any) => sum + p.value.buckets.counts[i], 0)) },
    };
    // The 600 ms stall from before the SDK existed is there (above 0.5 s), and the 150 ms one after it.
    // (A loaded machine can add real stalls, such as slow module loading: counts are lower bounds.)
    const above = histogram.buckets.counts.slice(3).reduce((a: number, b: number) => a + b, 0);
    const below = histogram.buckets.counts.slice(0, 3).reduce((a: number, b: number) => a + b, 0);
    expect(above).toBeGreaterThanOrEqual(1);
    expect(below).toBeGreaterThanOrEqual(1);
    expect(histogram.max).toBeGreaterThanOrEqual(0.55);
    // Per-site counters agree with the histogram, and the fixture's line is one of the sites.
    const stalls = byName.get('loopwatch.eventloop.stalls').points;
    expect(stalls.reduce((sum: number, p: any) => sum + p.value, 0)).toBe(histogram.count);
    const site = `test/integration/fixtures/metrics-otel.js:${blockingLine('metrics-otel.js')}`;
    expect(stalls.find((p: any) => p.attributes.site === site)?.value).toBeGreaterThanOrEqual(1);
    expect(Math.max(...byName.get('loopwatch.eventloop.stall.max').points.map((p: any) => p.value))).toBe(histogram.max);
  });
});
