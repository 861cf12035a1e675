/**
 * Stall families by HTTP route (docs/metrics.md): the time the loop was blocked in each route's
 * code and the requests those stalls delayed. A route label is `GET /users/:id`: the framework's
 * template or the folded path (src/http/route.ts), bounded like sites (first come, then `other`).
 * Stalls of a process that never served a request are not counted here at all.
 */
import { labels as labelsOf, noLabels } from './labels';
import type { Counter } from 'prom-client';
import { prom } from './prom';
import type { StallEvent } from '../feature';
import { SiteLabels } from './sites';

/** The route label of a stall that happened outside any request (a timer, a queue consumer) while requests were in flight. */
export const NO_ROUTE = 'none';

export interface RouteMetrics {
  metrics: Counter[];
  record(stall: StallEvent): void;
}

export function createRouteMetrics(maxRoutes: number): RouteMetrics {
  const { Counter } = prom();
  const routes = new SiteLabels(maxRoutes);
  const blocked = new Counter({
    name: 'loopwatch_eventloop_route_blocked_seconds_total',
    help: 'Time the event loop was blocked by stalls, by the HTTP route whose code was running (none: outside any request)',
    labelNames: ['route'],
    registers: [],
  });
  const delayed = new Counter({
    name: 'loopwatch_eventloop_delayed_requests_total',
    help: 'HTTP requests in flight while a stall blocked the loop, by the route that blocked it (none: outside any request)',
    labelNames: ['route'],
    registers: [],
  });
  const overflow = new Counter({
    name: 'loopwatch_routes_overflow_total',
    help: 'Stalls whose route was folded into route="other" because LOOPWATCH_METRICS_MAX_SITES routes were already labelled',
    registers: [],
  });
  return {
    metrics: [blocked, delayed, overflow],
    record(stall) {
      // No HTTP in play: nothing to say by route.
      if (stall.ignored === true || (stall.inFlight === undefined && stall.route === undefined)) return;
      const { site: route, overflow: overflowed } = stall.route === undefined ? { site: NO_ROUTE, overflow: false } : routes.label(stall.route);
      const labels = labelsOf({ route });
      blocked.inc(labels, stall.durationMs / 1000);
      // Zero too: the series exists from a route's first stall, so rate() has a start.
      delayed.inc(labels, stall.inFlight ?? 0);
      if (overflowed) overflow.inc(noLabels());
    },
  };
}
