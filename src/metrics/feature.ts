/**
 * The Prometheus feature: feeds stalls and live counters into the process-wide metric set and, when
 * LOOPWATCH_METRICS_PORT is set, serves loopwatch's own registry on `/metrics`.
 */
import * as fs from 'node:fs';
import type { Feature } from '../feature';
import { getMetricSet } from './registry';
import { serveMetrics } from './server';

export const startMetrics: Feature = (context) => {
  const { options } = context;
  const set = getMetricSet({ thresholdMs: options.thresholdMs, maxSites: options.metricsMaxSites });
  set.setSource(context.stats, options.mode);
  context.onStall((stall) => set.recordStall(stall));
  let stopServer = (): void => undefined;
  if (options.metricsPort !== null) {
    stopServer = serveMetrics(set.registry, options.metricsPort, options.metricsHost, {
      warn: (code, message) => context.warn(code, message),
      onListening(port) {
        // With port 0 nobody else knows where we listen; stderr, because stdout belongs to the app.
        if (options.metricsPort === 0) writeStderr(`loopwatch: metrics on http://${options.metricsHost}:${port}/metrics (pid ${process.pid})\n`);
      },
    });
  }
  return () => {
    stopServer();
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
