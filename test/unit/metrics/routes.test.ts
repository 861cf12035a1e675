import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createRouteMetrics } from '../../../src/metrics/routes';
import type { StallEvent } from '../../../src/feature';

async function recorded(maxRoutes: number, stalls: StallEvent[]) {
  const routes = createRouteMetrics(maxRoutes);
  const registry = new Registry();
  for (const metric of routes.metrics) registry.registerMetric(metric);
  for (const stall of stalls) routes.record(stall);
  const json = await registry.getMetricsAsJSON();
  return (name: string) => json.find((metric) => metric.name === name)!.values.map((v) => [v.labels.route, v.value]);
}

const base = { api: null, kind: 'cpu' as const, threadId: 0, phase: 'runtime' as const, site: 'app.js:9' };

describe('createRouteMetrics', () => {
  it('counts blocked seconds and delayed requests by route; none for a stall outside any request', async () => {
    const values = await recorded(10, [
      { ...base, durationMs: 300, route: 'GET /users/:id', inFlight: 6 },
      { ...base, durationMs: 200, route: 'GET /users/:id', inFlight: 0 },
      { ...base, durationMs: 100, inFlight: 3 },
    ]);
    expect(values('loopwatch_eventloop_route_blocked_seconds_total')).toEqual([
      ['GET /users/:id', 0.5],
      ['none', 0.1],
    ]);
    expect(values('loopwatch_eventloop_delayed_requests_total')).toEqual([
      ['GET /users/:id', 6],
      ['none', 3],
    ]);
  });

  it('has no series for a process that never served a request, nor for ignored stalls', async () => {
    const values = await recorded(10, [
      { ...base, durationMs: 300 },
      { ...base, durationMs: 300, route: 'GET /x', inFlight: 2, ignored: true },
    ]);
    expect(values('loopwatch_eventloop_route_blocked_seconds_total')).toEqual([]);
    expect(values('loopwatch_eventloop_delayed_requests_total')).toEqual([]);
  });

  it('bounds the route label: first come, then other, counted', async () => {
    const stalls = Array.from({ length: 10_000 }, (_, i) => ({ ...base, durationMs: 100, route: `GET /raw/${i}`, inFlight: 1 }));
    const values = await recorded(5, stalls);
    const routes = values('loopwatch_eventloop_route_blocked_seconds_total');
    expect(routes).toHaveLength(6);
    expect(routes.at(-1)).toEqual(['other', expect.closeTo(999.5, 5)]);
    expect(values('loopwatch_routes_overflow_total')).toEqual([[undefined, 9995]]);
  });
});
