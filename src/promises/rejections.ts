/**
 * Unhandled rejections, observed without changing the app (docs/design.md, "Promises"). A listener of
 * our own on 'unhandledRejection' would turn the default crash into exit 0 and make
 * `--unhandled-rejections=warn-with-error-code` lose its exit code; so loopwatch wraps
 * `process.emit`, watches the events go by, and returns exactly what the original returned.
 *
 * Node emits 'unhandledRejection' in every mode except `strict`, which first raises the rejection
 * as an uncaught exception: that path is seen as 'uncaughtExceptionMonitor' with origin
 * 'unhandledRejection' (which Node emits whether or not anyone listens).
 */
export interface RejectionEvents {
  /** An unhandled rejection, with the promise when Node gave it (not in strict mode's crash path). */
  onUnhandled(reason: unknown, promise: object | null): void;
  onHandledLate(promise: object): void;
}

type Emit = typeof process.emit;

export function observeRejections(events: RejectionEvents): () => void {
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original: Emit = process.emit;
  /**
   * The reason last recorded, to count one rejection once: in the default `throw` mode Node emits
   * 'unhandledRejection' and then, when nobody handled it, the monitor event for the same reason;
   * in `strict` mode the monitor comes first and 'unhandledRejection' follows when the app's
   * 'uncaughtException' listener kept the process alive.
   */
  let last: { reason: unknown } | null = null;
  let active = true;

  const sameRejection = (reason: unknown, error: unknown): boolean => {
    if (last === null) return false;
    if (last.reason === reason || last.reason === error) return true;
    // A non-Error reason reaches the monitor wrapped in Node's ERR_UNHANDLED_REJECTION error.
    const wrapped = (value: unknown): boolean => isObject(value) && readCode(value) === 'ERR_UNHANDLED_REJECTION';
    return (wrapped(error) && !isObject(last.reason)) || (wrapped(last.reason) && !isObject(reason));
  };

  const observe = (event: string | symbol, args: unknown[]): void => {
    if (!active) return;
    try {
      if (event === 'unhandledRejection') {
        const [reason, promise] = args;
        if (sameRejection(reason, reason)) {
          last = null;
          return;
        }
        last = { reason };
        events.onUnhandled(reason, isObject(promise) ? promise : null);
      } else if (event === 'uncaughtExceptionMonitor' && args[1] === 'unhandledRejection') {
        const [error] = args;
        if (sameRejection(error, error)) {
          last = null;
          return;
        }
        last = { reason: error };
        events.onUnhandled(error, null);
      } else if (event === 'rejectionHandled') {
        const [promise] = args;
        if (isObject(promise)) events.onHandledLate(promise);
      }
    } catch {
      // Observing must never become the app's problem.
    }
  };

  const wrapper = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'uncaughtExceptionMonitor') {
      // Before passing it on: in strict mode the process dies right after this event.
      observe(event, args);
      return Reflect.apply(original, this, [event, ...args]) as boolean;
    }
    if (event !== 'unhandledRejection' && event !== 'rejectionHandled') return Reflect.apply(original, this, [event, ...args]) as boolean;
    try {
      // The app's listeners run first, on an untouched reason; the result (did anyone handle
      // it?) is what decides between a crash and a warning, and it is returned unchanged.
      return Reflect.apply(original, this, [event, ...args]) as boolean;
    } finally {
      observe(event, args);
    }
  } as Emit;

  process.emit = wrapper;
  return () => {
    active = false;
    // Only undo our own wrapper: if someone wrapped emit after us, theirs calls ours, now inert.
    if (process.emit === wrapper) process.emit = original;
  };
}

function isObject(value: unknown): value is object {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

function readCode(value: object): unknown {
  try {
    return (value as { code?: unknown }).code;
  } catch {
    return undefined;
  }
}
