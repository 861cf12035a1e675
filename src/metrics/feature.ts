/**
 * The Prometheus feature: feeds stalls and live counters to the process-wide metric set and, when
 * LOOPWATCH_METRICS_PORT is set, serves loopwatch's own registry on `/metrics`. In a node:cluster
 * worker it pushes to the primary instead, which serves every worker's series (see cluster.ts).
 * Without a port, prom-client is not even loaded until the app asks for the metrics (feed.ts, prom.ts).
 */
import * as fs from 'node:fs';
import type { Feature } from '../feature';
import { feedSource, feedStall, metricsFeed } from './feed';
import { getMetricSet } from './registry';
import { collectFromWorkers, pushToPrimary } from './cluster';
import { serveMetrics } from './server';

export const startMetrics: Feature = (context) => {
  const { options } = context;
  const feed = metricsFeed({ thresholdMs: options.thresholdMs, maxSites: options.metricsMaxSites })!;
  feedSource(feed, context.stats, options.mode);
  context.onStall((stall) => feedStall(feed, stall));
  const stopServing = options.metricsPort === null ? null : serve(context, options.metricsPort);
  return () => {
    stopServing?.();
    feedSource(feed, null, 'stopped');
  };
};

function serve(context: Parameters<Feature>[0], port: number): () => void {
  const { options } = context;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cluster = require('node:cluster') as { isWorker: boolean };
  const set = getMetricSet();
  // The port is the primary's: a worker listening too would only get "port in use".
  if (cluster.isWorker) return pushToPrimary(set.registry, (message) => context.warn('LOOPWATCH_INTERNAL', message));
  const workers = collectFromWorkers(set.registry);
  const stopServer = serveMetrics(workers.source, port, options.metricsHost, {
    warn: (code, message) => context.warn(code, message),
    onListening(listening) {
      // With port 0 nobody else knows where we listen; stderr, because stdout belongs to the app.
      if (port === 0) writeStderr(`loopwatch: metrics on http://${options.metricsHost}:${listening}/metrics (pid ${process.pid})\n`);
    },
  });
  return () => {
    stopServer();
    workers.stop();
  };
}

function writeStderr(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch {
    // stderr closed: nothing to tell anyone.
  }
}
