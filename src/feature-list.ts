/**
 * The features the agent starts, in order. Each is `(context) => stop` (see feature.ts); the stall
 * watchdog itself is not one of them, it is the agent's core.
 */
import type { Feature } from './feature';
import { startMetrics } from './metrics/feature';
import { startOtelMetrics } from './otel/metrics-feature';
import { startStallSpans } from './otel/stall-spans';
import { startPromises } from './promises';
import { startSyncApiTiming } from './sync-api';

export const FEATURES: ReadonlyArray<{ name: string; start: Feature }> = [
  { name: 'sync-api timing', start: startSyncApiTiming },
  { name: 'promise diagnostics', start: startPromises },
  { name: 'prometheus metrics', start: startMetrics },
  { name: 'opentelemetry metrics', start: startOtelMetrics },
  { name: 'opentelemetry stall spans', start: startStallSpans },
];
