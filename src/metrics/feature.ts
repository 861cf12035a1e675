/**
 * The Prometheus feature: feeds stalls and live counters into the process-wide metric set and, when
 * LOOPWATCH_METRICS_PORT is set, serves loopwatch's own registry on `/metrics`. In a node:cluster
 * worker it pushes to the primary instead, which serves every worker's series (see cluster.ts).
 */
import * as cluster from 'node:cluster';
import * as fs from 'node:fs';
import type { Feature } from '../feature';
import { collectFromWorkers, pushToPrimary } from './cluster';
import { getMetricSet } from './registry';
import { serveMetrics } from './server';

export const startMetrics: Feature = (context) => {
  const { options } = context;
  const set = getMetricSet({ thresholdMs: options.thresholdMs, maxSites: options.metricsMaxSites });
  set.setSource(context.stats, options.mode);
  context.onStall((stall) => set.recordStall(stall));
  const stops: Array<() => void> = [];
  if (options.metricsPort !== null && cluster.default.isWorker) {
    // The port is the primary's: a worker listening too would only get "port in use".
    stops.push(pushToPrimary(set.registry, (message) => context.warn('LOOPWATCH_INTERNAL', message)));
  } else if (options.metricsPort !== null) {
    const workers = collectFromWorkers(set.registry);
    stops.push(() => workers.stop());
    stops.push(
      serveMetrics(workers.source, options.metricsPort, options.metricsHost, {
        warn: (code, message) => context.warn(code, message),
        onListening(port) {
          // With port 0 nobody else knows where we listen; stderr, because stdout belongs to the app.
          if (options.metricsPort === 0) writeStderr(`loopwatch: metrics on http://${options.metricsHost}:${port}/metrics (pid ${process.pid})\n`);
        },
      }),
    );
  }
  return () => {
    for (const stop of stops) stop();
    set.setSource(null, 'stopped');
  };
};

function writeStderr(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch {
    // stderr closed: nothing to tell anyone.
  }
}
