/**
 * The OpenTelemetry metrics, through `@opentelemetry/api` only (an optional peer dependency: absent,
 * this does nothing). The API is not even loaded until the app has registered something with it
 * (see src/otel-api.ts), checked on each stall and once a second from an unref'd timer. Until then stalls are kept in
 * StallTotals, so a late SDK still gets every one.
 */
import type { Feature } from '../feature';
import { StallTotals } from './stall-totals';
import type { OtelExporter } from './exporter';
import { otelRegistered } from '../otel-api';

const CHECK_PROVIDER_MS = 1000;

export const startOtelMetrics: Feature = (context) => {
  const totals = new StallTotals(context.options.metricsMaxSites);
  let exporter: OtelExporter | null | undefined;
  const check = (): void => {
    try {
      if (exporter === undefined && otelRegistered()) {
        // Required, not imported: the exporter and its instruments load only once OpenTelemetry is in use.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        exporter = (require('./exporter') as typeof import('./exporter')).createOtelExporter(context, totals);
      }
      exporter?.resolve();
    } catch (error) {
      context.warn('LOOPWATCH_INTERNAL', `OpenTelemetry metrics: ${(error as Error).message}`);
    }
  };
  check();
  const timer = setInterval(check, CHECK_PROVIDER_MS);
  timer.unref();

  context.onStall((stall) => {
    check();
    // An accepted blocker (LOOPWATCH_IGNORE_SITES): counted in the report and in Prometheus only.
    if (stall.ignored === true) return;
    const duration = totals.add(stall);
    if (exporter) exporter.record(duration);
    else totals.keepPending(duration);
  });
  return () => {
    clearInterval(timer);
    exporter?.stop();
  };
};

