/**
 * Which HTTP request a stall happened in, and how many others it delayed
 * (docs/report.md, "Requests"). Main thread only. Node publishes every server request on the
 * `http.server.request.start` channel (synchronously, before the 'request' event, in the request's
 * own async context) and its end on `http.server.response.finish`: plain channels, so subscribing
 * loads no `node:http` and adds no frame to any stack.
 *
 * How the blocking request is found, best first:
 * 1. **exact**, with LOOPWATCH_EXACT_REQUESTS on Node 24 and later (loopwatch's own
 *    AsyncLocalStorage, src/http/store.ts, which says what it costs): the request in whose async
 *    context a slow sync call ran (the wrapper reads the store as the call returns), or the one the
 *    native capture read from the blocked thread's store while it was blocked (its id, handed over
 *    in shared memory: `capturedId`).
 * 2. **a guess** (`exact: false`), from when requests started and finished relative to the
 *    heartbeat: the first request whose response finished in the stalled turn of the loop after the
 *    watchdog saw it stalled (a handler that blocks and then responds), else the last request that
 *    started in that turn before (a handler that blocks and responds later).
 * Nothing else: a stall in a timer with requests in flight has `inFlight` and no `request`.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { OWN_SERVER, routeOf } from './route';
import { requestStore, type RequestInStore } from './store';
import { InFlight } from './in-flight';
import { watchFastify, type FastifyRoutes } from './fastify';
import { watchRequestSpans, type RequestSpans, type SpanHolder } from './request-spans';
import { spanLink } from '../otel-api';
import type { StallRequest } from '../feature';

/** Requests tracked at once; more are served as usual, and not counted in `inFlight`. */
export const MAX_IN_FLIGHT = 10_000;
/** Requests kept after they finished, to be named by a capture that read their id (a handler that blocked, then answered). */
const RECENTLY_FINISHED = 32;

interface RawRequest {
  method?: unknown;
  url?: unknown;
  socket?: { destroyed?: boolean; server?: unknown } | null;
}
interface RawResponse {
  writableFinished?: boolean;
  destroyed?: boolean;
}

interface Tracked extends RequestInStore, SpanHolder {
  req: RawRequest;
  res: RawResponse;
}

/**
 * The main thread's heartbeat as the request tracking reads it on every request: plain fields and
 * one array read, no clock read (Date.now() was ~60 ns, two per request), no BigInt. Kept by the
 * heartbeat in src/watchdog/main.ts.
 */
export interface BeatClock {
  /** Counts heartbeats: the same number means the same turn of the loop. */
  epoch: number;
  /** `beatMark` of the last heartbeat (src/watchdog/shared.ts). */
  mark: number;
  /** Set by the watchdog to the mark of a heartbeat it found late past the threshold (STALLED_BEAT_INDEX). */
  readonly stalled: Int32Array;
}

export interface RequestsAtStall {
  request?: StallRequest;
  /** Requests in flight when the stall ended, the blocking one left out. */
  inFlight: number;
}

export interface HttpContext {
  /**
   * At the heartbeat that measured a stall: the request it happened in, if known, and the others
   * in flight. `stalledEpoch` is the heartbeat epoch of the stalled turn (BeatClock); `capturedId`
   * the id a capture read during it, if any. Null while no request was ever seen.
   */
  atStall(stalledEpoch: number, capturedId: number | null): RequestsAtStall | null;
  /** The request whose code is running now, exactly; undefined when unknown. */
  current(): StallRequest | undefined;
  stop(): void;
}

export interface HttpContextOptions {
  /** The main thread's heartbeat (src/watchdog/main.ts); read on every request, so plain fields. */
  clock: BeatClock;
  /** Read each request's OpenTelemetry span while the app traces (LOOPWATCH_TRACES). */
  traces?: boolean;
}

export function startHttpContext(options: HttpContextOptions): HttpContext {
  const { clock } = options;
  const inFlight = new InFlight<Tracked>();
  const store = requestStore();
  /** The last requests that finished, a ring, for a capture that read one's id (see RECENTLY_FINISHED). */
  const finished: Tracked[] = [];
  let finishedNext = 0;
  let nextId = 1;
  const fastify: FastifyRoutes = watchFastify();
  const spans: RequestSpans | null = options.traces === false ? null : watchRequestSpans();
  let seenAny = false;
  /** The last request that started while the loop was not late, and the heartbeat epoch it started in. */
  let lastOnTimeStart: Tracked | null = null;
  let lastOnTimeStartEpoch = -1;
  /** The first request whose response finished while the loop was late, and that late turn's epoch. */
  let lateFinish: Tracked | null = null;
  let lateFinishEpoch = -1;

  const onStart = (message: unknown): void => {
    const { request: req, response: res, socket, server } = message as { request: RawRequest; response: RawResponse; socket: object; server?: Record<symbol, unknown> };
    if (server?.[OWN_SERVER] === true) return;
    const tracked: Tracked = { id: nextId, req, res };
    // An Int32 in shared memory carries it: wraps long before that.
    nextId = nextId >= 0x7fffffff ? 1 : nextId + 1;
    seenAny = true;
    if (inFlight.size >= MAX_IN_FLIGHT) inFlight.sweep();
    if (inFlight.size < MAX_IN_FLIGHT) inFlight.add(socket, tracked);
    if (clock.stalled[0] !== clock.mark) {
      lastOnTimeStart = tracked;
      lastOnTimeStartEpoch = clock.epoch;
    }
    // The subscriber runs inside the request's async context, before the 'request' event: what
    // the handlers run, and everything they schedule, sees this store. loopwatch's own instance:
    // the app's AsyncLocalStorage instances are untouched.
    store?.enterWith(tracked);
    spans?.expect(server, tracked);
  };
  const onFinish = (message: unknown): void => {
    const { response: res, socket } = message as { response: object; socket: object };
    const tracked = inFlight.remove(socket, res);
    if (tracked === undefined) return;
    if (store !== null) {
      finished[finishedNext] = tracked;
      finishedNext = (finishedNext + 1) % RECENTLY_FINISHED;
    }
    if (lateFinishEpoch !== clock.epoch && clock.stalled[0] === clock.mark) {
      lateFinish = tracked;
      lateFinishEpoch = clock.epoch;
    }
  };
  const describe = (tracked: Tracked, exact: boolean): StallRequest => {
    const method = typeof tracked.req.method === 'string' ? tracked.req.method : 'GET';
    const url = typeof tracked.req.url === 'string' ? tracked.req.url : '/';
    const server = tracked.req.socket?.server;
    const fastifyRoute = server === undefined ? undefined : fastify.routeFor(server, method, pathOf(url));
    const trace = spanLink(tracked.span);
    return { method, route: routeOf(tracked.req, fastifyRoute).route, exact, ...(trace !== undefined ? { trace } : {}) };
  };
  diagnosticsChannel.subscribe('http.server.request.start', onStart);
  diagnosticsChannel.subscribe('http.server.response.finish', onFinish);

  return {
    atStall(stalledEpoch, capturedId) {
      if (!seenAny) return null;
      inFlight.sweep();
      const captured = capturedId === null ? null : (finished.find((each) => each.id === capturedId) ?? [...inFlight.values()].find((each) => each.id === capturedId) ?? null);
      const guessed = lateFinishEpoch === stalledEpoch ? lateFinish : lastOnTimeStartEpoch === stalledEpoch ? lastOnTimeStart : null;
      const blocker = captured ?? guessed;
      // Not kept past their turn: a request must not be held on to after it is long gone.
      lateFinish = null;
      lastOnTimeStart = null;
      const others = inFlight.size - (blocker !== null && [...inFlight.values()].includes(blocker) ? 1 : 0);
      return { ...(blocker !== null ? { request: describe(blocker, captured !== null) } : {}), inFlight: others };
    },
    current() {
      // Only ever set in onStart, to a Tracked.
      const tracked = store?.getStore() as Tracked | undefined;
      return tracked === undefined ? undefined : describe(tracked, true);
    },
    stop() {
      diagnosticsChannel.unsubscribe('http.server.request.start', onStart);
      diagnosticsChannel.unsubscribe('http.server.response.finish', onFinish);
      fastify.stop();
      spans?.stop();
      inFlight.clear();
      finished.length = 0;
    },
  };
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

