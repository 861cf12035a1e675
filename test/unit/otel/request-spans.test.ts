/**
 * The request's span, read by loopwatch's own `request` listener (src/http/request-spans.ts), and
 * the span context as plain data (src/otel-api.ts), against the real OpenTelemetry API and SDK.
 */
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, trace, type Span } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { watchRequestSpans, type SpanHolder } from '../../../src/http/request-spans';
import { activeSpanLink, spanLink, tracingRegistered } from '../../../src/otel-api';

describe('before a tracer provider is registered', () => {
  it('adds no listener and reads no span', () => {
    expect(tracingRegistered()).toBe(false);
    const spans = watchRequestSpans();
    const server = new EventEmitter();
    spans.expect(server, { req: {} });
    expect(server.listenerCount('request')).toBe(0);
    expect(activeSpanLink()).toBeUndefined();
  });
});

describe('with a tracer provider and a context manager', () => {
  beforeAll(() => void new NodeTracerProvider().register());
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  /** Emits `request` as OpenTelemetry's HTTP instrumentation does: inside the request span's context. */
  const serve = (server: EventEmitter, req: unknown): Span => {
    const span = trace.getTracer('test').startSpan('GET');
    context.with(trace.setSpan(context.active(), span), () => server.emit('request', req));
    span.end();
    return span;
  };

  it('reads the span of the request it expects, once per server, and never another request\'s', () => {
    const spans = watchRequestSpans();
    const server = new EventEmitter();
    const first: SpanHolder = { req: {} };
    spans.expect(server, first);
    const span = serve(server, first.req);
    expect(first.span).toBe(span);
    expect(spanLink(first.span)).toEqual({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, traceFlags: 1 });

    const second: SpanHolder = { req: {} };
    spans.expect(server, second);
    serve(server, { other: true });
    expect(second.span).toBeUndefined();
    expect(server.listenerCount('request')).toBe(1);

    spans.stop();
    expect(server.listenerCount('request')).toBe(0);
  });

  it('the active span as plain data; none outside a span', () => {
    expect(activeSpanLink()).toBeUndefined();
    const span = trace.getTracer('test').startSpan('job');
    const link = context.with(trace.setSpan(context.active(), span), activeSpanLink);
    expect(link?.spanId).toBe(span.spanContext().spanId);
    span.end();
  });

  it('a span context with an invalid id is no link', () => {
    const fake = (traceId: string, spanId: string): Span => ({ spanContext: () => ({ traceId, spanId, traceFlags: 1 }) }) as unknown as Span;
    expect(spanLink(fake('0'.repeat(32), 'a'.repeat(16)))).toBeUndefined();
    expect(spanLink(fake('a'.repeat(32), '0'.repeat(16)))).toBeUndefined();
    expect(spanLink(fake('A'.repeat(32), 'a'.repeat(16)))).toBeUndefined();
    expect(spanLink(fake('a'.repeat(32), 'b'.repeat(16)))).toEqual({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
  });
});
