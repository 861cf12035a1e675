import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createMetricSet, registerMetrics } from '../../../src/metrics/registry';

describe('createMetricSet', () => {
  it('uses a registry of its own: nothing lands in prom-client\'s global one', async () => {
    const set = createMetricSet({ thresholdMs: 100, maxSites: 5 });
    const names = (await set.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('loopwatch_eventloop_stalls_total');
    expect(names.every((name) => name.startsWith('loopwatch_'))).toBe(true);
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('loopwatch_eventloop_stalls_total')).toBeUndefined();
  });

  it('labels info with the package version and the mode', async () => {
    const set = createMetricSet({ thresholdMs: 100, maxSites: 5 });
    set.setSource(null, 'debug');
    const info = (await set.registry.getMetricsAsJSON()).find((m) => m.name === 'loopwatch_info')!;
    const { version } = (await import('../../../package.json', { with: { type: 'json' } })).default as { version: string };
    expect(info.values).toEqual([{ labels: { version, mode: 'debug' }, value: 1 }]);
  });
});

describe('registerMetrics', () => {
  it('adds every loopwatch family to the app registry, once, next to the app\'s own', async () => {
    const app = new Registry();
    registerMetrics(app);
    registerMetrics(app);
    const names = (await app.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('loopwatch_eventloop_stall_seconds');
    expect(new Set(names).size).toBe(names.length);
  });

  it('throws a TypeError for something that is not a registry (programmatic misuse)', () => {
    expect(() => registerMetrics({} as never)).toThrow(TypeError);
  });
});
