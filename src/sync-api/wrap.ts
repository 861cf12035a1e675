/**
 * One timing wrapper per sync API. The fast path is two `performance.now()` calls and three
 * additions into a counter object held by the closure (no map lookup); only a slow call pays for
 * a stack (and a message to the watchdog).
 */
import { performance } from 'node:perf_hooks';

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
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    if (state.depth > 0 || (syncOnlyWithoutCallback && typeof args[args.length - 1] === 'function')) {
      return original.apply(this, args);
    }
    state.depth += 1;
    if (state.slot !== null) state.slot[0] = apiNumber;
    const started = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      state.depth -= 1;
      if (state.slot !== null) state.slot[0] = 0;
      const durationMs = performance.now() - started;
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
  };
  // Keep what introspecting code sees: name, arity, and the promisified variant Node attaches.
  Object.defineProperty(wrapper, 'name', { value: original.name });
  Object.defineProperty(wrapper, 'length', { value: original.length });
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'name' || key === 'length' || key === 'prototype') continue;
    const descriptor = Object.getOwnPropertyDescriptor(original, key);
    if (descriptor !== undefined) Object.defineProperty(wrapper, key, descriptor);
  }
  return wrapper;
}
