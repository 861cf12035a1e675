/**
 * One timing wrapper per sync API. The fast path is two clock reads and three additions into a
 * counter object held by the closure (no map lookup); only a slow call pays for a stack (and a
 * message to the watchdog).
 */
import { bufferSize, byteSize, filledSize, type SizeFrom } from './natives';
import { nowNs } from '../clock';

/**
 * Durations on the clock taken when loopwatch loads (../clock.ts), so an app's fake timers never
 * time its sync calls. Not `performance.now()`: `performance` loads Node's perf_hooks, 0.6-0.9 ms
 * of every process's start-up, and a pair of these reads is no slower (90 ns against 107 ns on
 * Node 20).
 */
const msSince = (started: bigint): number => Number(nowNs() - started) / 1e6;

// Taken when loopwatch loads: every wrapper forwards through these, never through a property the
// app may have replaced since (`original.apply` would call an app's own Function.prototype.apply).
const apply = Reflect.apply;
const construct = Reflect.construct;

export interface ApiCounter {
  calls: number;
  totalMs: number;
  slowCalls: number;
  maxMs: number;
}

export interface WrapState {
  /** Sync calls in progress: a sync API called from inside another one is not timed twice. */
  depth: number;
  /** Shared with the watchdog: the number of the API running now, 0 for none (see FeatureContext). */
  slot: Int32Array | null;
  /** Shared with the watchdog: non-zero when it wants the next call's site (CALL_SITE_WANTED_INDEX). */
  siteWanted: Int32Array | null;
  /**
   * Called after a call of at least the slow-call threshold returned, or after a shorter one the
   * watchdog asked about (`duringStall`). `wrapper` is the stack cut-off.
   */
  onSlowCall(api: string, durationMs: number, wrapper: (...args: never[]) => unknown, duringStall?: boolean): void;
}

export function wrapSync(
  original: (...args: unknown[]) => unknown,
  api: string,
  counter: ApiCounter,
  slowCallMs: number,
  state: WrapState,
  syncOnlyWithoutCallback: boolean,
  apiNumber: number,
): (...args: unknown[]) => unknown {
  // A method, like the natives below: no `prototype` of its own and not a constructor (copyOwnProperties).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const wrapper = ({ wrapper(this: unknown, ...args: unknown[]): unknown {
    if (state.depth > 0 || (syncOnlyWithoutCallback && typeof args[args.length - 1] === 'function')) {
      return apply(original, this, args);
    }
    state.depth += 1;
    if (state.slot !== null) state.slot[0] = apiNumber;
    const started = nowNs();
    try {
      return apply(original, this, args);
    } finally {
      finish(started, api, counter, slowCallMs, state, wrapper);
    }
  } }).wrapper;
  copyOwnProperties(original, wrapper);
  return wrapper;
}

/** After a timed call, in its `finally`: the counters, and the slow-call report. Never throws into the app. */
function finish(started: bigint, api: string, counter: ApiCounter, slowCallMs: number, state: WrapState, wrapper: (...args: never[]) => unknown): void {
  state.depth -= 1;
  if (state.slot !== null) state.slot[0] = 0;
  const durationMs = msSince(started);
  counter.calls += 1;
  counter.totalMs += durationMs;
  if (durationMs > counter.maxMs) counter.maxMs = durationMs;
  const slow = durationMs >= slowCallMs;
  // One read of shared memory per call; the exchange lets only one call answer each request.
  const asked = !slow && state.siteWanted !== null && state.siteWanted[0] !== 0 && Atomics.exchange(state.siteWanted, 0, 0) !== 0;
  if (slow) counter.slowCalls += 1;
  if (slow || asked) {
    try {
      state.onSlowCall(api, durationMs, wrapper, asked);
    } catch {
      // Inside the app's call: loopwatch's bookkeeping must never replace its result or error.
    }
  }
}

/**
 * Keep what introspecting code sees: name, arity, and own properties (the promisified variant Node
 * attaches). Wrappers are methods, with no `prototype`: an original that has one (a function Node
 * wrote in JavaScript) gets its own copied, so the keys are the same either way.
 */
function copyOwnProperties(original: object, wrapper: object): void {
  Object.defineProperty(wrapper, 'name', { value: (original as { name: string }).name });
  Object.defineProperty(wrapper, 'length', { value: (original as { length: number }).length });
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'name' || key === 'length') continue;
    const descriptor = Object.getOwnPropertyDescriptor(original, key);
    if (descriptor !== undefined) Object.defineProperty(wrapper, key, descriptor);
  }
}


type Wrapper = (this: unknown, ...args: unknown[]) => unknown;

/**
 * A native call that is not a `*Sync` API (natives.ts). The fast path reads the input's size (the
 * receiver's or an argument's, per `sizeFrom`) and forwards the call untouched below `floor`; a call
 * at or above it is timed like a sync call. The forward is `Reflect.apply(original, this, arguments)`:
 * the same receiver and the same argument count (Buffer#toString reads `arguments.length`).
 */
export function wrapNative(
  original: (...args: unknown[]) => unknown,
  api: string,
  counter: ApiCounter,
  slowCallMs: number,
  state: WrapState,
  apiNumber: number,
  sizeFrom: SizeFrom,
  floor: number,
): Wrapper {
  const timed = (thisArg: unknown, args: IArguments): unknown => {
    state.depth += 1;
    if (state.slot !== null) state.slot[0] = apiNumber;
    const started = nowNs();
    try {
      return apply(original, thisArg, args);
    } finally {
      finish(started, api, counter, slowCallMs, state, wrapper);
    }
  };
  // One small function per size source, so each stays monomorphic and inlinable on hot paths. They
  // forward `arguments` as they came (Buffer#toString reads arguments.length), and are methods: no
  // `prototype`, not constructors (copyOwnProperties).
  /* eslint-disable prefer-rest-params, @typescript-eslint/unbound-method */
  let wrapper: Wrapper;
  switch (sizeFrom) {
    case 'this':
      wrapper = { wrapper(this: unknown): unknown {
        if (state.depth > 0 || byteSize(this) < floor) return apply(original, this, arguments);
        return timed(this, arguments);
      } }.wrapper;
      break;
    case 0:
      wrapper = { wrapper(this: unknown, input?: unknown): unknown {
        if (state.depth > 0 || byteSize(input) < floor) return apply(original, this, arguments);
        return timed(this, arguments);
      } }.wrapper;
      break;
    case 1:
      wrapper = { wrapper(this: unknown, _first?: unknown, input?: unknown): unknown {
        if (state.depth > 0 || byteSize(input) < floor) return apply(original, this, arguments);
        return timed(this, arguments);
      } }.wrapper;
      break;
    case 'buffer0':
      // TextDecoder#decode also takes an ArrayBuffer.
      wrapper = { wrapper(this: unknown, input?: unknown): unknown {
        if (state.depth > 0 || bufferSize(input) < floor) return apply(original, this, arguments);
        return timed(this, arguments);
      } }.wrapper;
      break;
    case 'filled':
      wrapper = { wrapper(this: unknown, size?: unknown, fill?: unknown): unknown {
        if (state.depth > 0 || filledSize(size, fill) < floor) return apply(original, this, arguments);
        return timed(this, arguments);
      } }.wrapper;
      break;
    default:
      wrapper = { wrapper(this: unknown): unknown {
        if (state.depth > 0) return apply(original, this, arguments);
        return timed(this, arguments);
      } }.wrapper;
  }
  /* eslint-enable prefer-rest-params, @typescript-eslint/unbound-method */
  copyOwnProperties(original, wrapper);
  return wrapper;
}

/**
 * A constructor (`new WebAssembly.Module(bytes)`), as a Proxy with a `construct` trap only: `new`,
 * `new.target` (subclasses), `instanceof`, `prototype`, static methods and own properties all reach
 * the original, and calling it without `new` throws the original's own TypeError.
 */
export function wrapConstructor(
  original: new (...args: unknown[]) => object,
  api: string,
  counter: ApiCounter,
  slowCallMs: number,
  state: WrapState,
  apiNumber: number,
): new (...args: unknown[]) => object {
  type Constructor = new (...args: unknown[]) => object;
  // `new proxy(...)` builds what `new original(...)` would; a subclass's new.target is kept.
  const make = (target: Constructor, args: unknown[], newTarget: object): object =>
    construct(target, args, newTarget === proxy ? target : (newTarget as Constructor));
  const trap = function (target: Constructor, args: unknown[], newTarget: object): object {
    if (state.depth > 0) return make(target, args, newTarget);
    state.depth += 1;
    if (state.slot !== null) state.slot[0] = apiNumber;
    const started = nowNs();
    try {
      return make(target, args, newTarget);
    } finally {
      finish(started, api, counter, slowCallMs, state, trap);
    }
  };
  const proxy = new Proxy(original, { construct: trap });
  return proxy;
}
