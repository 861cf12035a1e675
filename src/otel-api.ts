/**
 * How loopwatch reaches `@opentelemetry/api`, an optional peer dependency it never bundles: only
 * once the app registered something with it (loading it is ~40 ms of start-up), and never with a
 * throw when it is absent.
 */
import type * as OtelApi from '@opentelemetry/api';
import type { SpanLink } from './feature';

/** Where every copy of `@opentelemetry/api` 1.x keeps what was registered with it (its global-utils.js). */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** Whether the app registered anything with the API: until then, loopwatch does not even load it. */
export function otelRegistered(): boolean {
  return (globalThis as Record<symbol, unknown>)[OTEL_API_GLOBAL] !== undefined;
}

/**
 * Whether the app traces: a tracer provider and a context manager are both registered (without the
 * latter no span is ever active). One global read: it runs on every HTTP request.
 */
export function tracingRegistered(): boolean {
  const registered = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[OTEL_API_GLOBAL];
  return registered !== undefined && registered.trace !== undefined && registered.context !== undefined;
}

let api: typeof OtelApi | null | undefined;

/** The API as loopwatch resolves it; null when the app has none loopwatch can load. Loaded once. */
export function loadOtelApi(): typeof OtelApi | null {
  if (api !== undefined) return api;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only once the app uses OpenTelemetry
    api = require('@opentelemetry/api') as typeof OtelApi;
  } catch {
    api = null;
  }
  return api;
}

/** The span's trace and id, when it has valid ones (a no-op tracer's span has none). */
export function spanLink(span: OtelApi.Span | undefined): SpanLink | undefined {
  if (span === undefined) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return validSpanIds(traceId, spanId) ? { traceId, spanId, traceFlags } : undefined;
}

/** Lower-case hex, not all zeros (W3C Trace Context). */
const VALID_TRACE_ID = /^(?!0{32})[0-9a-f]{32}$/;
const VALID_SPAN_ID = /^(?!0{16})[0-9a-f]{16}$/;

/** Whether these are a valid trace id and span id (also for a link read back from a report). */
export function validSpanIds(traceId: unknown, spanId: unknown): traceId is string {
  return typeof traceId === 'string' && VALID_TRACE_ID.test(traceId) && typeof spanId === 'string' && VALID_SPAN_ID.test(spanId);
}

/** The span active in the calling code's context; undefined unless the app traces. Never throws. */
export function activeSpanLink(): SpanLink | undefined {
  if (!tracingRegistered()) return undefined;
  try {
    return spanLink(loadOtelApi()?.trace.getActiveSpan());
  } catch {
    return undefined;
  }
}
