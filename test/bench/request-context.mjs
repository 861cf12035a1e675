// What following HTTP requests costs per request, in nanoseconds, with nothing else in the way: the
// two diagnostics-channel messages Node builds once someone subscribes, and loopwatch's subscribers
// (src/http/requests.ts), against the same loop with no subscriber. 32 connections of keep-alive
// traffic, as the overhead bench's autocannon makes. Rounds alternate; the medians are printed.
// With --traced, the app traces requests with OpenTelemetry: a tracer provider is registered and
// each request's `request` event is emitted inside its span's context, as the HTTP instrumentation
// does, so loopwatch also reads each request's span (src/http/request-spans.ts).
//
//   npm run build && node test/bench/request-context.mjs [rounds=7] [--traced]
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startHttpContext } = require('../../dist/src/http/requests.js');
const rounds = Number(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 7);
const traced = process.argv.includes('--traced');
const REQUESTS = 2_000_000;
const start = diagnosticsChannel.channel('http.server.request.start');
const finish = diagnosticsChannel.channel('http.server.response.finish');
const sockets = Array.from({ length: 32 }, () => ({ destroyed: false }));
const server = new (require('node:events').EventEmitter)();
/** With --traced: emits `request` inside a span's context, as OpenTelemetry's HTTP instrumentation does. */
let emitRequest = () => {};
if (traced) {
  const api = require('@opentelemetry/api');
  new (require('@opentelemetry/sdk-trace-node').NodeTracerProvider)().register();
  const span = api.trace.getTracer('bench').startSpan('GET');
  const spanContext = api.trace.setSpan(api.context.active(), span);
  emitRequest = (request) => api.context.with(spanContext, () => server.emit('request', request));
}

/** ns per request: what Node itself does per request for the channels (message objects only when subscribed). */
function run() {
  const started = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const socket = sockets[i & 31];
    const request = { method: 'GET', url: '/42', socket };
    const response = { writableFinished: false };
    if (start.hasSubscribers) start.publish({ request, response, socket, server });
    emitRequest(request);
    if (finish.hasSubscribers) finish.publish({ request, response, socket, server });
  }
  return Number(process.hrtime.bigint() - started) / REQUESTS;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const without = [];
const withTracking = [];
run(); // warm-up
for (let round = 0; round < rounds; round++) {
  without.push(run());
  const context = startHttpContext({ clock: { epoch: 0, mark: 1, stalled: new Int32Array(1) } });
  withTracking.push(run());
  context.stop();
}
console.log(`node ${process.version}: ${median(without).toFixed(1)} ns/request without, ${median(withTracking).toFixed(1)} ns/request with request tracking${traced ? ', traced' : ''}: +${(median(withTracking) - median(without)).toFixed(1)} ns (median of ${rounds} rounds of ${REQUESTS} requests)`);
