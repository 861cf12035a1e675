/**
 * How loopwatch reaches `@opentelemetry/api`, an optional peer dependency it never bundles: only
 * once the app registered something with it (loading it is ~40 ms of start-up), and never with a
 * throw when it is absent.
 */
import type * as OtelApi from '@opentelemetry/api';
import type { SpanLink } from './feature';

/** Where every copy of `@opentelemetry/api` 1.x keeps what was registered with it (its global-utils.js). */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * Whether the app registered anything with the API (`kind` omitted), or that kind: `trace` once a
 * tracer provider is set, `context` once a context manager is. A property read: cheap enough for
 * every HTTP request.
 */
export function otelRegistered(kind?: 'trace' | 'context' | 'metrics'): boolean {
  const registered = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[OTEL_API_GLOBAL];
  if (registered === undefined) return false;
  return kind === undefined || registered[kind] !== undefined;
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
  if (!VALID_TRACE_ID.test(traceId) || !VALID_SPAN_ID.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags };
}

/** Lower-case hex, not all zeros (W3C Trace Context). */
const VALID_TRACE_ID = /^(?!0{32})[0-9a-f]{32}$/;
const VALID_SPAN_ID = /^(?!0{16})[0-9a-f]{16}$/;

/** The span active in the calling code's context; undefined unless the app traces. Never throws. */
export function activeSpanLink(): SpanLink | undefined {
  if (!otelRegistered('trace') || !otelRegistered('context')) return undefined;
  try {
    return spanLink(loadOtelApi()?.trace.getActiveSpan());
  } catch {
    return undefined;
  }
}
