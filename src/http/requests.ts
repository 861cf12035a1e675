/**
 * Which HTTP request a stall happened in, and how many others it delayed (docs/report.md,
 * "Requests"). Main thread only. Node publishes every server request on the
 * `http.server.request.start` channel (synchronously, before the 'request' event, in the request's
 * own async context) and its end on `http.server.response.finish`: plain channels, so subscribing
 * loads no `node:http` and adds no frame to any stack.
 *
 * How the blocking request is found, best first:
 * 1. **exact**: the request in whose async context a slow sync call ran (the wrapper reads
 *    loopwatch's own AsyncLocalStorage as the call returns). Only where AsyncLocalStorage is cheap
 *    (AsyncContextFrame: Node 24 and later by default); on older Node it costs every promise and
 *    every async resource (the bench in docs/benchmarks.md), so it is not used there.
 * 2. **a guess** (`exact: false`), from when requests started and finished relative to the
 *    heartbeat: the first request whose response finished in the stalled turn of the loop after it
 *    was already late (a handler that blocks and then responds), else the last request that started
 *    in that turn before it was late (a handler that blocks and responds later).
 * Nothing else: a stall in a timer with requests in flight has `inFlight` and no `request`.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { AsyncLocalStorage } from 'node:async_hooks';
import { OWN_SERVER, foldPath, routeOf } from './route';
import { watchFastify, type FastifyRoutes } from './fastify';
import type { StallRequest } from '../feature';

/** Requests tracked at once; more are served as usual, and not counted in `inFlight`. */
export const MAX_IN_FLIGHT = 10_000;

interface RawRequest {
  method?: unknown;
  url?: unknown;
  socket?: { destroyed?: boolean; server?: unknown } | null;
}
interface RawResponse {
  writableFinished?: boolean;
  destroyed?: boolean;
}

interface Tracked {
  req: RawRequest;
  res: RawResponse;
}

/** The heartbeat epoch an event happened in: the last beat before it, and whether the loop was already late. */
interface Seen {
  tracked: Tracked;
  epoch: bigint;
}

export interface RequestsAtStall {
  request?: StallRequest;
  /** Requests in flight when the stall ended, the blocking one left out. */
  inFlight: number;
}

export interface HttpContext {
  /**
   * At the heartbeat that measured a stall: the request it happened in, if known, and the others
   * in flight. `previousBeatNs` is the beat before the stall. Null while no request was ever seen.
   */
  atStall(previousBeatNs: bigint): RequestsAtStall | null;
  /** The request whose code is running now, exactly; undefined when unknown. */
  current(): StallRequest | undefined;
  stop(): void;
}

export interface HttpContextOptions {
  thresholdMs: number;
  /** The main thread's last heartbeat (process.hrtime.bigint()). */
  lastBeatNs(): bigint;
  /** Whether AsyncLocalStorage is cheap here (see above). */
  useStore: boolean;
}

export function startHttpContext(options: HttpContextOptions): HttpContext {
  const thresholdNs = BigInt(Math.round(options.thresholdMs * 1e6));
  const inFlight = new Map<object, Tracked>();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only where it is used
  const store: AsyncLocalStorage<Tracked> | null = options.useStore ? new (require('node:async_hooks') as typeof import('node:async_hooks')).AsyncLocalStorage<Tracked>() : null;
  const fastify: FastifyRoutes = watchFastify();
  let seenAny = false;
  /** The last request that started while the loop was not late. */
  let lastOnTimeStart: Seen | null = null;
  /** The first request whose response finished while the loop was late, in that late turn. */
  let lateFinish: Seen | null = null;

  const onStart = (message: unknown): void => {
    const { request: req, response: res, server } = message as { request: RawRequest; response: RawResponse; server?: Record<symbol, unknown> };
    if (server?.[OWN_SERVER] === true) return;
    const tracked: Tracked = { req, res };
    seenAny = true;
    if (inFlight.size >= MAX_IN_FLIGHT) sweep();
    if (inFlight.size < MAX_IN_FLIGHT) inFlight.set(res, tracked);
    const epoch = options.lastBeatNs();
    if (process.hrtime.bigint() - epoch < thresholdNs) lastOnTimeStart = { tracked, epoch };
    // The subscriber runs inside the request's async context, before the 'request' event: what
    // the handlers run, and everything they schedule, sees this store. loopwatch's own instance:
    // the app's AsyncLocalStorage instances are untouched.
    store?.enterWith(tracked);
  };
  const onFinish = (message: unknown): void => {
    const { response: res } = message as { response: object };
    const tracked = inFlight.get(res);
    if (tracked === undefined) return;
    inFlight.delete(res);
    const epoch = options.lastBeatNs();
    if (process.hrtime.bigint() - epoch >= thresholdNs && lateFinish?.epoch !== epoch) lateFinish = { tracked, epoch };
  };
  /** Requests whose connection closed before the response finished: never finished, never counted again. */
  const sweep = (): void => {
    for (const [res, tracked] of inFlight) {
      if (tracked.res.writableFinished === true || tracked.res.destroyed === true || tracked.req.socket?.destroyed !== false) inFlight.delete(res);
    }
  };
  const describe = (tracked: Tracked, exact: boolean): StallRequest => {
    const method = typeof tracked.req.method === 'string' ? tracked.req.method : 'GET';
    const url = typeof tracked.req.url === 'string' ? tracked.req.url : '/';
    const server = tracked.req.socket?.server;
    const fastifyRoute = server === undefined ? undefined : fastify.routeFor(server, method, pathOf(url));
    return { method, route: routeOf(tracked.req, fastifyRoute).route, exact };
  };
  diagnosticsChannel.subscribe('http.server.request.start', onStart);
  diagnosticsChannel.subscribe('http.server.response.finish', onFinish);

  return {
    atStall(previousBeatNs) {
      if (!seenAny) return null;
      sweep();
      let blocker: Tracked | null = null;
      if (lateFinish?.epoch === previousBeatNs) blocker = lateFinish.tracked;
      else if (lastOnTimeStart?.epoch === previousBeatNs) blocker = lastOnTimeStart.tracked;
      // Not kept past their turn: a request must not be held on to after it is long gone.
      lateFinish = null;
      lastOnTimeStart = null;
      const others = inFlight.size - (blocker !== null && inFlight.has(blocker.res) ? 1 : 0);
      return { ...(blocker !== null ? { request: describe(blocker, false) } : {}), inFlight: others };
    },
    current() {
      const tracked = store?.getStore();
      return tracked === undefined ? undefined : describe(tracked, true);
    },
    stop() {
      diagnosticsChannel.unsubscribe('http.server.request.start', onStart);
      diagnosticsChannel.unsubscribe('http.server.response.finish', onFinish);
      fastify.stop();
      inFlight.clear();
      store?.disable();
    },
  };
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Whether AsyncLocalStorage runs on AsyncContextFrame here (Node 24 and later, unless turned off):
 * then a store costs a pointer per async resource, not an async hook.
 */
export function asyncContextFrameOn(): boolean {
  const major = Number(process.versions.node.split('.')[0]);
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (major >= 24) return !flags.includes('--no-async-context-frame');
  return major >= 22 && flags.includes('--experimental-async-context-frame');
}

export { foldPath };
