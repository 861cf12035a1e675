/**
 * The Prometheus feature: feeds stalls and live counters to the process-wide metric set and, when
 * LOOPWATCH_METRICS_PORT is set, serves loopwatch's own registry on `/metrics`. In a node:cluster
 * worker it pushes to the primary instead, which serves every worker's series (see cluster.ts).
 * Without a port, prom-client is not even loaded until the app asks for the metrics (feed.ts, prom.ts).
 */
import type { Feature } from '../feature';
import { feedBusy, feedSource, feedStall, metricsFeed } from './feed';

export const startMetrics: Feature = (context) => {
  const { options } = context;
  const feed = metricsFeed({ thresholdMs: options.thresholdMs, maxSites: options.metricsMaxSites })!;
  feedSource(feed, context.stats, options.mode);
  context.onStall((stall) => feedStall(feed, stall));
  context.onBusy((busy) => feedBusy(feed, busy));
  // Required, not imported: the metric set, the server and the cluster plumbing are a dozen modules
  // that only a process serving /metrics loads.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stopServing = options.metricsPort === null ? null : (require('./serve') as typeof import('./serve')).serve(context, options.metricsPort);
  return () => {
    stopServing?.();
    feedSource(feed, null, 'stopped');
  };
};
