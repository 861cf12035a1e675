/**
 * LOOPWATCH_METRICS_PORT's side of the Prometheus feature (feature.ts): loopwatch's own registry on
 * `/metrics`, or, in a node:cluster worker, pushed to the primary, which serves every worker's
 * series (see cluster.ts).
 */
import * as fs from 'node:fs';
import type { FeatureContext } from '../feature';
import { getMetricSet } from './registry';
import { collectFromWorkers, pushToPrimary } from './cluster';
import { serveMetrics } from './server';

/** Serves `/metrics` on `port`, or pushes to the cluster primary from a cluster worker. Returns stop. */
export function serve(context: FeatureContext, port: number): () => void {
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
