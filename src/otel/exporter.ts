/**
 * The OpenTelemetry side proper, loaded once the app has registered something with the OpenTelemetry
 * API (feature.ts watches for that). The preload runs before the app registers its SDK, and a meter
 * fetched from the no-op provider stays a no-op forever: so the meter is resolved again whenever the
 * global provider changes.
 */
import type { Histogram } from '@opentelemetry/api';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FeatureContext } from '../feature';
import { DELAY_RESOLUTION_MS } from '../metrics/readings';
import { loopwatchVersion } from '../version';
import { createInstruments } from './instruments';
import { loadOtelApi } from '../otel-api';
import type { StallDuration, StallTotals } from './stall-totals';

export interface OtelExporter {
  /** Looks at the global meter provider again; records what waited for a real one. */
  resolve(): void;
  record(duration: StallDuration): void;
  stop(): void;
}

/** Null when the app has no `@opentelemetry/api` that loopwatch can load (it never bundles its own). */
export function createOtelExporter(context: FeatureContext, totals: StallTotals): OtelExporter | null {
  const api = loadOtelApi()?.metrics ?? null;
  if (api === null) return null;
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  delay.enable();
  const sources = { thresholdMs: context.options.thresholdMs, totals, delay, stats: () => context.stats };
  let provider: unknown = null;
  let histogram: Histogram | null = null;
  return {
    resolve() {
      const current = api.getMeterProvider();
      if (current === provider) return;
      provider = current;
      // Before an SDK is registered (or after metrics.disable()), the API hands out a no-op provider:
      // instruments on it would swallow the stalls we keep pending for the real one.
      if (current.constructor.name === 'NoopMeterProvider') {
        histogram = null;
        return;
      }
      histogram = createInstruments(current.getMeter('loopwatch', loopwatchVersion()), sources);
      for (const { seconds, phase } of totals.takePending()) histogram.record(seconds, { phase });
    },
    record(duration) {
      if (histogram === null) totals.keepPending(duration);
      else histogram.record(duration.seconds, { phase: duration.phase });
    },
    stop: () => delay.disable(),
  };
}
