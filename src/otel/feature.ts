/**
 * The OpenTelemetry feature, through `@opentelemetry/api` only (an optional peer dependency: absent,
 * this does nothing). The preload runs before the app registers its SDK, and a meter fetched from the
 * no-op provider stays a no-op forever: so the meter is resolved lazily, again whenever the global
 * provider changes (checked on each stall and once a second from an unref'd timer).
 */
import type { Histogram, MetricsAPI } from '@opentelemetry/api';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Feature } from '../feature';
import { DELAY_RESOLUTION_MS } from '../metrics/event-loop';
import { loopwatchVersion } from '../metrics/info';
import { createInstruments } from './instruments';
import { StallTotals } from './stall-totals';

const CHECK_PROVIDER_MS = 1000;

export const startOtelMetrics: Feature = (context) => {
  const api = loadMetricsApi();
  if (api === null) return () => undefined;
  const { options } = context;
  const totals = new StallTotals(options.metricsMaxSites);
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  delay.enable();
  const sources = { thresholdMs: options.thresholdMs, totals, delay, stats: () => context.stats };
  let provider: unknown = null;
  let histogram: Histogram | null = null;

  const resolve = (): void => {
    const current = api.getMeterProvider();
    if (current === provider) return;
    provider = current;
    // Before an SDK is registered (or after metrics.disable()), the API hands out a no-op provider:
    // instruments on it would swallow the stalls we keep pending for the real one.
    if (current.constructor.name === 'NoopMeterProvider') {
      histogram = null;
      return;
    }
    const meter = current.getMeter('loopwatch', loopwatchVersion());
    histogram = createInstruments(meter, sources);
    for (const seconds of totals.takePending()) histogram.record(seconds);
  };
  const check = (): void => {
    try {
      resolve();
    } catch (error) {
      context.warn('LOOPWATCH_INTERNAL', `OpenTelemetry metrics: ${(error as Error).message}`);
    }
  };
  check();
  const timer = setInterval(check, CHECK_PROVIDER_MS);
  timer.unref();

  context.onStall((stall) => {
    check();
    const { seconds } = totals.add(stall);
    if (histogram === null) totals.keepPending(seconds);
    else histogram.record(seconds);
  });
  return () => {
    clearInterval(timer);
    delay.disable();
  };
};

/** The app's `@opentelemetry/api`, when installed; loopwatch never bundles its own copy. */
function loadMetricsApi(): MetricsAPI | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@opentelemetry/api') as typeof import('@opentelemetry/api')).metrics;
  } catch {
    return null;
  }
}
