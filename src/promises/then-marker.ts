/**
 * Tells `p.then(onFulfilled, onRejected)` apart from `p.then(onFulfilled)`, for floating-promise
 * detection. A promise hook sees the promise `then` makes, never the handlers it was given; but a
 * `.then` with a rejection handler handles its chain (typescript-eslint's no-floating-promises
 * agrees), so dropping its result is no finding. Installed only while detection is on: it puts one
 * JavaScript call in front of every `.then` the app makes (`await` does not go through it).
 */

/**
 * This file (or the bundle it is part of, scripts/bundle.mjs): the marker's frame, a function named
 * `then` here, sits between V8's `then` and the app's line in creation stacks.
 */
export const THEN_MARKER_FILE = __filename;

export interface ThenMarker {
  /** The promise whose `.then` is running with a rejection handler, if any (its child is being made). */
  handlerOwner(): unknown;
  /** Puts the original `then` back, if it is still ours. */
  uninstall(): void;
}

export function installThenMarker(): ThenMarker {
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const nativeThen = Promise.prototype.then;
  let owner: unknown = null;
  const methods = {
    // A method, like V8's own: named `then`, two parameters, not a constructor.
    then(this: Promise<unknown>, _onFulfilled?: unknown, onRejected?: unknown): unknown {
      const outer = owner;
      owner = typeof onRejected === 'function' ? this : null;
      try {
        // eslint-disable-next-line prefer-rest-params
        return Reflect.apply(nativeThen, this, arguments);
      } finally {
        owner = outer;
      }
    },
  };
  // It is Promise.prototype's `then` from here on: called with a promise as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const marker = methods.then;
  setThen(marker);
  return {
    handlerOwner: () => owner,
    uninstall() {
      if (Promise.prototype.then === marker) setThen(nativeThen);
    },
  };
}

/** With the original's attributes: writable, configurable, not enumerable. */
function setThen(value: unknown): void {
  Reflect.defineProperty(Promise.prototype, 'then', { value, writable: true, configurable: true, enumerable: false });
}
