/**
 * loopwatch's metric families, created once per process and shared by every registry that shows
 * them: loopwatch's own (served on LOOPWATCH_METRICS_PORT) and any the app passes to
 * {@link registerMetrics}. The set lives on globalThis so a second copy of the package in
 * node_modules (preload from one, `import 'loopwatch'` from another) still finds it.
 */
import type { Registry, Metric } from 'prom-client';
import { prom } from './prom';
import type { BusyEvent, LiveStats, StallEvent } from '../feature';
import { DEFAULTS } from '../options';
import { createStallMetrics } from './stalls';
import { createRouteMetrics } from './routes';
import { createEventLoopMetrics } from './event-loop';
import { createLiveStatsMetrics } from './live-stats';
import { createInfoMetric } from './info';
import { attachFeed, metricsFeed } from './feed';

export interface MetricSet {
  /** loopwatch's own registry: nothing of the app's, nothing of prom-client's default metrics. */
  readonly registry: Registry;
  readonly metrics: readonly Metric[];
  recordStall(stall: StallEvent): void;
  recordBusy(busy: BusyEvent): void;
  setSource(stats: LiveStats | null, mode: string): void;
}

export interface MetricSetConfig {
  thresholdMs: number;
  maxSites: number;
}

const SET = Symbol.for('loopwatch.metrics');
type GlobalWithMetrics = typeof globalThis & { [SET]?: MetricSet };

/** Creates a metric set without touching global state (tests, and the first call of getMetricSet). */
export function createMetricSet(config: MetricSetConfig): MetricSet {
  const stalls = createStallMetrics(config.thresholdMs, config.maxSites);
  const routes = createRouteMetrics(config.maxSites);
  const loop = createEventLoopMetrics();
  const live = createLiveStatsMetrics();
  const info = createInfoMetric();
  info.setMode('unstarted');
  const metrics: Metric[] = [...stalls.metrics, ...routes.metrics, ...loop.metrics, ...live.metrics, info.metric];
  const registry = new (prom().Registry)();
  for (const metric of metrics) registry.registerMetric(metric);
  return {
    registry,
    metrics,
    recordStall: (stall) => {
      stalls.record(stall);
      routes.record(stall);
    },
    recordBusy: (busy) => stalls.recordBusy(busy),
    setSource(stats, mode) {
      live.setSource(stats);
      info.setMode(mode);
    },
  };
}

/**
 * The process-wide set, created at the first call. The agent's settings win when the agent runs
 * (its metrics feature noted them in the feed); the defaults when the app calls registerMetrics
 * without one. Stalls seen before the set existed are replayed into it (feed.ts).
 */
export function getMetricSet(config: MetricSetConfig = { thresholdMs: DEFAULTS.thresholdMs, maxSites: DEFAULTS.metricsMaxSites }): MetricSet {
  const holder = globalThis as GlobalWithMetrics;
  if (holder[SET] !== undefined) return holder[SET];
  const feed = metricsFeed();
  const set = createMetricSet(feed?.config ?? config);
  if (feed !== undefined) attachFeed(feed, set);
  holder[SET] = set;
  return set;
}

/** The subset of a prom-client Registry that registerMetrics needs (any prom-client copy fits). */
export interface RegistryLike {
  registerMetric(metric: Metric): void;
  getSingleMetric(name: string): unknown;
}

/**
 * Puts loopwatch's metric families into the app's own prom-client registry, so its existing
 * `/metrics` shows them; no port of loopwatch's own is needed. Idempotent per registry.
 *
 *     import { register } from 'prom-client';
 *     import { registerMetrics } from 'loopwatch';
 *     registerMetrics(register);   // then run: node --require loopwatch/preload app.js
 */
export function registerMetrics(registry: RegistryLike): void {
  if (registry === null || typeof registry !== 'object' || typeof registry.registerMetric !== 'function') {
    throw new TypeError('loopwatch: registerMetrics(registry) needs a prom-client Registry');
  }
  for (const metric of getMetricSet().metrics) {
    const name = (metric as unknown as { name: string }).name;
    if (registry.getSingleMetric(name) === undefined) registry.registerMetric(metric);
  }
}
