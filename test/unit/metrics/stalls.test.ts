import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createStallMetrics } from '../../../src/metrics/stalls';
import { stallBuckets } from '../../../src/metrics/readings';

describe('stallBuckets', () => {
  it('starts at the threshold and ends at 30 s, strictly increasing', () => {
    for (const thresholdMs of [20, 50, 100, 250, 1000, 7000]) {
      const buckets = stallBuckets(thresholdMs);
      expect(buckets[0]).toBe(thresholdMs / 1000);
      expect(buckets.at(-1)).toBe(30);
      for (let i = 1; i < buckets.length; i += 1) expect(buckets[i]!).toBeGreaterThan(buckets[i - 1]!);
    }
  });
});

describe('createStallMetrics', () => {
  it('counts an ignored stall (LOOPWATCH_IGNORE_SITES) in loopwatch_eventloop_ignored_stalls_total only', async () => {
    const stalls = createStallMetrics(100, 10);
    const registry = new Registry();
    for (const metric of stalls.metrics) registry.registerMetric(metric);
    const base = { api: null, kind: 'cpu' as const, threadId: 0, phase: 'runtime' as const };
    stalls.record({ ...base, durationMs: 1000, site: 'src/migrate.js:12', ignored: true });
    stalls.record({ ...base, durationMs: 200, site: 'src/a.ts:1' });
    const json = await registry.getMetricsAsJSON();
    const values = (name: string) => json.find((metric) => metric.name === name)!.values;
    expect(values('loopwatch_eventloop_ignored_stalls_total')).toEqual([{ labels: {}, value: 1 }]);
    expect(values('loopwatch_eventloop_stalls_total')).toEqual([{ labels: { site: 'src/a.ts:1', thread: 'main', phase: 'runtime' }, value: 1 }]);
    expect(values('loopwatch_eventloop_blocked_seconds_total').map((v) => v.value)).toEqual([0.2]);
    expect(values('loopwatch_eventloop_stall_max_seconds').map((v) => v.labels.site)).toEqual(['src/a.ts:1']);
    expect(values('loopwatch_eventloop_stall_seconds').find((v) => (v as { metricName?: string }).metricName === 'loopwatch_eventloop_stall_seconds_count')!.value).toBe(1);
  });

  it('leaves a traced stall\'s trace as its bucket\'s exemplar, printed by an OpenMetrics registry only', async () => {
    const stalls = createStallMetrics(100, 10);
    const openMetrics = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const prometheus = new Registry();
    for (const metric of stalls.metrics) {
      openMetrics.registerMetric(metric);
      prometheus.registerMetric(metric);
    }
    const base = { api: null, kind: 'cpu' as const, threadId: 0, phase: 'runtime' as const, site: 'src/a.ts:1' };
    stalls.record({ ...base, durationMs: 300, trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, exact: false } });
    stalls.record({ ...base, durationMs: 5000 });
    const text = await openMetrics.metrics();
    // 0.3 s falls in the 0.5 s bucket (stallBuckets(100)); the untraced 5 s stall leaves none.
    expect(text).toMatch(/^loopwatch_eventloop_stall_seconds_bucket\{le="0\.5",phase="runtime"\} 1 # \{trace_id="4bf92f3577b34da6a3ce929d0e0e4736",span_id="00f067aa0ba902b7"\} 0\.3 \d/m);
    expect(text.match(/ # \{/g)).toHaveLength(1);
    expect(await prometheus.metrics()).not.toContain('trace_id');
  });

  it('counts each stall by site, times it, and counts overflowed sites', async () => {
    const stalls = createStallMetrics(100, 1);
    const registry = new Registry();
    for (const metric of stalls.metrics) registry.registerMetric(metric);
    const base = { api: null, kind: 'cpu' as const, threadId: 0, phase: 'runtime' as const };
    stalls.record({ ...base, durationMs: 1000, site: 'src/a.ts:1' });
    stalls.record({ ...base, durationMs: 200, site: 'src/a.ts:1' });
    stalls.record({ ...base, durationMs: 300, site: 'src/b.ts:2' });
    const json = await registry.getMetricsAsJSON();
    const values = (name: string) => json.find((metric) => metric.name === name)!.values;
    expect(values('loopwatch_eventloop_stalls_total')).toEqual([
      { labels: { site: 'src/a.ts:1', thread: 'main', phase: 'runtime' }, value: 2 },
      { labels: { site: 'other', thread: 'main', phase: 'runtime' }, value: 1 },
    ]);
    expect(values('loopwatch_eventloop_blocked_seconds_total').map((v) => [v.labels.site, v.value])).toEqual([
      ['src/a.ts:1', 1.2],
      ['other', 0.3],
    ]);
    expect(values('loopwatch_sites_overflow_total')[0]!.value).toBe(1);
    // The longest stall per site, not the latest.
    expect(values('loopwatch_eventloop_stall_max_seconds').map((v) => [v.labels.site, v.value])).toEqual([
      ['src/a.ts:1', 1],
      ['other', 0.3],
    ]);
    const histogram = values('loopwatch_eventloop_stall_seconds');
    const bucket = (le: number) => histogram.find((v: any) => v.metricName.endsWith('_bucket') && v.labels.le === le)!.value;
    // The one-second stall is visible on its own: one observation above 0.5 s.
    expect(bucket(0.25)).toBe(1);
    expect(bucket(0.5)).toBe(2);
    expect(bucket(1)).toBe(3);
  });
});

describe('the thread label', () => {
  it('is main or worker (bounded: pools get new threadIds without end), per site', async () => {
    const stalls = createStallMetrics(100, 10);
    const registry = new Registry();
    for (const metric of stalls.metrics) registry.registerMetric(metric);
    const base = { api: null, kind: 'cpu' as const, site: 'src/a.ts:1', phase: 'runtime' as const };
    stalls.record({ ...base, durationMs: 500, threadId: 0 });
    stalls.record({ ...base, durationMs: 200, threadId: 7 });
    stalls.record({ ...base, durationMs: 300, threadId: 12 });
    const json = await registry.getMetricsAsJSON();
    const values = (name: string) => json.find((metric) => metric.name === name)!.values;
    expect(values('loopwatch_eventloop_stalls_total')).toEqual([
      { labels: { site: 'src/a.ts:1', thread: 'main', phase: 'runtime' }, value: 1 },
      { labels: { site: 'src/a.ts:1', thread: 'worker', phase: 'runtime' }, value: 2 },
    ]);
    expect(values('loopwatch_eventloop_stall_max_seconds').map((v) => [v.labels.thread, v.value])).toEqual([
      ['main', 0.5],
      ['worker', 0.3],
    ]);
  });
});
