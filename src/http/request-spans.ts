/**
 * The OpenTelemetry span of each HTTP request, so that a stall in it is recorded in its trace
 * (src/otel/stall-spans.ts). Only while the app has a tracer provider and a context manager
 * registered; otherwise one property read per request.
 *
 * Where the span is read: OpenTelemetry's HTTP instrumentation starts the server span inside
 * `server.emit('request')`, after Node published `http.server.request.start` (where loopwatch
 * tracks the request), and makes it the active span for the `request` listeners. So loopwatch adds
 * one `request` listener of its own to each server it sees serve a request, after the app's: it
 * reads the active span there, in the same synchronous emit, so a handler that blocks before it
 * returns has its span read before the heartbeat that measures the stall. The listener is visible
 * to the app (`server.listenerCount('request')` counts it); it is removed by `stop()`.
 */
import type { Span } from '@opentelemetry/api';
import { loadOtelApi, tracingRegistered } from '../otel-api';

export interface SpanHolder {
  req: unknown;
  span?: Span;
}

export interface RequestSpans {
  /** At `http.server.request.start`: the request whose `request` event comes next on `server`. */
  expect(server: unknown, request: SpanHolder): void;
  stop(): void;
}

interface Emitter {
  on(event: string, listener: (req: unknown) => void): unknown;
  off(event: string, listener: (req: unknown) => void): unknown;
}

export function watchRequestSpans(): RequestSpans {
  const servers = new WeakSet<object>();
  /** To remove the listeners at stop() without keeping closed servers alive. */
  const listenedTo: Array<WeakRef<Emitter>> = [];
  let next: SpanHolder | null = null;
  const onRequest = (req: unknown): void => {
    const expected = next;
    next = null;
    if (expected === null || expected.req !== req) return;
    try {
      const span = loadOtelApi()?.trace.getActiveSpan();
      if (span !== undefined) expected.span = span;
    } catch {
      // A broken tracer costs the stall its trace, never the request.
    }
  };
  return {
    expect(server, request) {
      if (!tracingRegistered() || typeof server !== 'object' || server === null) return;
      if (!servers.has(server)) {
        const emitter = server as Partial<Emitter>;
        if (typeof emitter.on !== 'function' || typeof emitter.off !== 'function') return;
        servers.add(server);
        (emitter as Emitter).on('request', onRequest);
        listenedTo.push(new WeakRef(emitter as Emitter));
      }
      next = request;
    },
    stop() {
      for (const ref of listenedTo) ref.deref()?.off('request', onRequest);
      listenedTo.length = 0;
      next = null;
    },
  };
}

