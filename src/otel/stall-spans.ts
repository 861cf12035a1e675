/**
 * Each stall that happened in a traced request (or in a span active at a slow sync call) becomes a
 * child span, `event loop stall`, of that span, timed to the stall: a slow trace in Jaeger or Tempo
 * then shows the line that blocked (docs/report.md, "Traces"). A child span, not a span event: the
 * request's span has usually ended by the time the watchdog has named the line (a handler that
 * blocks, then answers), and an ended span takes no events; a child is exported on its own and
 * joined to its parent by id.
 *
 * Through `@opentelemetry/api` only, loaded once a stall carries a span (which needs a tracer
 * provider registered: src/http/request-spans.ts, src/otel-api.ts). The tracer is asked for at
 * each stall, so a provider registered after the preload, or replaced, is the one used.
 */
import type { Feature, StallEvent } from '../feature';
import { loadOtelApi } from '../otel-api';
import { loopwatchVersion } from '../version';
import { nowNs } from '../clock';

export const SPAN_NAME = 'event loop stall';

export const startStallSpans: Feature = (context) => {
  // Off, no stall carries a span (none is read), so this is belt and braces.
  if (!context.options.traces) return () => undefined;
  let stopped = false;
  context.onStall((stall) => {
    // An accepted blocker (LOOPWATCH_IGNORE_SITES) is counted, never shown.
    if (stopped || stall.trace === undefined || stall.ignored === true) return;
    try {
      recordStallSpan(stall);
    } catch (error) {
      context.warn('LOOPWATCH_INTERNAL', `OpenTelemetry stall span: ${(error as Error).message}`);
    }
  });
  return () => {
    stopped = true;
  };
};

function recordStallSpan(stall: StallEvent): void {
  const api = loadOtelApi();
  const { trace } = stall;
  if (api === null || trace === undefined) return;
  const endMs = epochMsOf(stall.endNs);
  const parent = api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId: trace.traceId, spanId: trace.spanId, traceFlags: trace.traceFlags, isRemote: false });
  const attributes: Record<string, string | number | boolean> = {
    'loopwatch.stall.duration_ms': Math.round(stall.durationMs * 10) / 10,
    'loopwatch.stall.kind': stall.kind,
    'loopwatch.stall.phase': stall.phase,
    // A span found by timing (the guessed request) says so, as the report does.
    'loopwatch.stall.trace_exact': trace.exact,
  };
  if (stall.code !== undefined) {
    attributes['code.file.path'] = stall.code.file;
    if (stall.code.line > 0) attributes['code.line.number'] = stall.code.line;
    if (stall.code.column > 0) attributes['code.column.number'] = stall.code.column;
    if (stall.code.function !== '') attributes['code.function.name'] = stall.code.function;
  }
  if (stall.api !== null) attributes['loopwatch.stall.sync_api'] = stall.api;
  if (stall.route !== undefined) attributes['loopwatch.stall.request'] = stall.route;
  if (stall.inFlight !== undefined) attributes['loopwatch.stall.requests_waited'] = stall.inFlight;
  const tracer = api.trace.getTracer('loopwatch', loopwatchVersion());
  const span = tracer.startSpan(SPAN_NAME, { kind: api.SpanKind.INTERNAL, startTime: endMs - stall.durationMs, attributes }, parent);
  span.end(endMs);
}

/** Milliseconds since the epoch of a process.hrtime.bigint() reading (now when absent). */
function epochMsOf(hrtimeNs: string | undefined): number {
  const now = Date.now();
  if (hrtimeNs === undefined) return now;
  return now - Number(nowNs() - BigInt(hrtimeNs)) / 1e6;
}
