/**
 * Floating-promise detection with `v8.promiseHooks` (docs/design.md, "Promises"). `async_hooks` cannot do
 * it: a promise made inside a `.then` handler gets the running reaction as its trigger, so every
 * clean scenario was flagged.
 *
 * - Tracked: roots (no parent, plain `Promise.prototype`: Node's internal subclasses are ignored)
 *   and `.then`/`.finally` results made by code (the end of a chain someone may drop).
 * - A tracked promise is observed when the reaction of a child made with it as parent runs (the
 *   child's `before` hook): `.then`, `.catch`, `.finally`, `await`, `Promise.all/race/allSettled/any`,
 *   being returned from an async function. Not at the child's `init`: `await 5` inside an async
 *   function makes a promise whose parent is that function's own promise, whose reaction never runs.
 * - Two microtask hops after creation, the unobserved ones that nobody waits on (no pending child)
 *   go into a FinalizationRegistry: only those pay for formatting their stack. Collected while still unobserved: never awaited or handled. Still
 *   unobserved and settled at exit: the same.
 *
 * An exception thrown inside a promise hook kills the process: every hook body is guarded.
 */
import { captureRaw, classifyChild, readCreation, type RawStack } from './creation';
import { installThenMarker } from './then-marker';
import type { Frame } from '../stack/frames';

export interface FloatingOptions {
  /** Track 1 promise in `sample` (1 = every promise). */
  sample: number;
  /** Called with the creation frames of each floating promise found. */
  onFloating(frames: Frame[]): void;
}

export interface FloatingDetector {
  /** Reports the settled, unobserved promises that are still alive (at exit: they never will be observed). */
  sweep(): void;
  /** The creation frames of a tracked promise, for a rejection's report. */
  creationOf(promise: object): Frame[] | null;
  stop(): void;
}

interface Tracked {
  kind: 'root' | 'chain';
  /** The creation stack as captured; formatted into `frames` only if the promise is ever reported. */
  raw: RawStack | null;
  frames: Frame[] | null;
  observed: boolean;
  settled: boolean;
  /**
   * Children made from it whose reaction has not run yet: someone waits on it (an `await` of a
   * pending promise), so it will be observed when it settles. The child V8 makes for `await 5`
   * with the async function's own promise as parent settles at once, and stops counting.
   */
  claims: number;
  /** Set once it survived the two hops unobserved: it is in the registry and the exit list. */
  ref: WeakRef<Promise<unknown>> | null;
}

export function startFloatingDetector(options: FloatingOptions): FloatingDetector {
  const tracked = new WeakMap<Promise<unknown>, Tracked>();
  /** Children of tracked, unobserved promises: their reaction running observes the parent. */
  const parentOf = new WeakMap<Promise<unknown>, Tracked>();
  /** Survivors of the two hops, for the exit sweep; removed when collected or observed. */
  const survivors = new Set<Tracked>();
  let current: Array<[Promise<unknown>, Tracked]> = [];
  let hopScheduled = false;
  let busy = false;
  let counter = 0;
  let stopped = false;

  const report = (record: Tracked): void => {
    survivors.delete(record);
    if (record.observed || stopped) return;
    record.observed = true;
    if (record.frames !== null && record.frames.length > 0) options.onFloating(record.frames);
  };
  const registry = new FinalizationRegistry<Tracked>((record) => {
    try {
      report(record);
    } catch {
      // Never an exception from loopwatch in a GC callback.
    }
  });

  // The hops are reactions on a promise made now: queueMicrotask would create an AsyncResource
  // per hop (visible to the app's async_hooks and slower). `then` is captured so an app that
  // patches Promise.prototype.then never sees our calls.
  const resolved = Promise.resolve();
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const then = Promise.prototype.then;
  const hop = (next: () => void): void => {
    // Our own reaction promise must not be tracked (it would schedule hops forever).
    const wasBusy = busy;
    busy = true;
    try {
      // Our hops never reject: secondHop catches everything, firstHop only moves an array.
      void Reflect.apply<Promise<void>, [() => void], Promise<void>>(then, resolved, [next]);
    } finally {
      busy = wasBusy;
    }
  };
  const scheduleHops = (): void => {
    hopScheduled = true;
    hop(firstHop);
  };
  const firstHop = (): void => {
    const batch = current;
    current = [];
    hopScheduled = false;
    hop(() => secondHop(batch));
  };
  const secondHop = (batch: Array<[Promise<unknown>, Tracked]>): void => {
    try {
      for (const [promise, record] of batch) {
        if (record.observed || record.claims > 0) continue;
        // Formatted now, for the few still unobserved: the registry's held value must not keep
        // the raw stack (its frames may reference objects that reference the promise).
        record.frames = framesOf(record);
        record.raw = null;
        if (record.frames.length === 0) continue;
        record.ref = new WeakRef(promise);
        survivors.add(record);
        registry.register(promise, record, record);
      }
    } catch {
      // Contained: a missed promise, never a crashed app.
    }
  };

  function init(promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
    if (busy || stopped) return;
    busy = true;
    try {
      if (parent !== undefined) {
        const record = tracked.get(parent);
        if (record !== undefined && !record.observed) {
          parentOf.set(promise, record);
          record.claims += 1;
        }
      }
      if (++counter < options.sample) return;
      counter = 0;
      if (Object.getPrototypeOf(promise) !== Promise.prototype) return;
      // Children are sorted out at once with a 3-frame peek: most are an `await`'s throwaway.
      const kind = parent === undefined ? 'root' : classifyChild(init, marker.handlerOwner() === parent);
      if (kind === 'internal') return;
      const record: Tracked = { kind, raw: captureRaw(init), frames: null, observed: false, settled: false, claims: 0, ref: null };
      tracked.set(promise, record);
      current.push([promise, record]);
      if (!hopScheduled) scheduleHops();
    } catch {
      // Contained: an exception here would kill the process.
    } finally {
      busy = false;
    }
  }
  function observe(record: Tracked): void {
    record.observed = true;
    if (record.ref !== null) {
      survivors.delete(record);
      registry.unregister(record);
      record.ref = null;
    }
  }
  function framesOf(record: Tracked): Frame[] {
    if (record.frames === null) record.frames = record.raw === null ? [] : readCreation(record.raw, record.kind);
    return record.frames;
  }
  function before(promise: Promise<unknown>): void {
    try {
      const record = parentOf.get(promise);
      if (record !== undefined && !record.observed) observe(record);
    } catch {
      // Contained.
    }
  }
  function settled(promise: Promise<unknown>): void {
    try {
      const record = tracked.get(promise);
      if (record !== undefined) record.settled = true;
      // A child settled before its reaction ran (`before` would have observed the parent): it
      // was no one waiting.
      const parent = parentOf.get(promise);
      if (parent !== undefined && !parent.observed) {
        parent.claims -= 1;
        parentOf.delete(promise);
      }
    } catch {
      // Contained.
    }
  }

  const marker = installThenMarker();
  // Required here, not at the top: node:v8 is ~4 ms of start-up, and detection is off in production.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const v8 = require('node:v8') as typeof import('node:v8');
  // @types/node types the returned stop function as `Function`.
  const stopHooks = v8.promiseHooks.createHook({ init, before, settled }) as () => void;

  return {
    sweep() {
      for (const record of [...survivors]) {
        if (record.settled && record.ref?.deref() !== undefined) report(record);
      }
    },
    creationOf(promise) {
      const record = tracked.get(promise as Promise<unknown>);
      return record === undefined ? null : framesOf(record);
    },
    stop() {
      stopped = true;
      stopHooks();
      marker.uninstall();
      survivors.clear();
    },
  };
}
