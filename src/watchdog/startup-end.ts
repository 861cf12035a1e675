/**
 * When start-up ends, on the app's main thread: once the entry module and everything it loads
 * have run their top-level code (docs/report.md, "Phases").
 *
 * - A CommonJS entry runs synchronously before the event loop starts, so the first `setImmediate`
 *   callback comes right after it.
 * - An ES module entry (and each `--import`) is loaded through promises: the first loop turn comes
 *   before its code has run. Node 22 and later publish each import on the `module.import` tracing
 *   channel; start-up ends when every import begun before that first turn has settled (top-level
 *   `await` included). Node 20 has no such channel, so there an ES module entry's start-up ends at
 *   the first loop turn, and a stall in its top-level code counts as `runtime`.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';

const IMPORT_EVENTS = ['start', 'asyncEnd', 'error'] as const;

/** Calls `onEnd` once, when start-up is over. Nothing it sets up keeps the process alive. */
export function watchStartupEnd(onEnd: () => void): void {
  /** The context object of each import begun before the first loop turn (one object per import). */
  const imports = new Set<object>();
  let firstTurnSeen = false;
  let ended = false;
  const settled = (message: unknown): void => {
    if (typeof message === 'object' && message !== null && imports.delete(message)) maybeEnd();
  };
  // A rejected import publishes `error` then `asyncEnd`; a synchronous throw only `error`.
  const listeners: Record<(typeof IMPORT_EVENTS)[number], (message: unknown) => void> = {
    start: (message) => {
      if (!firstTurnSeen && typeof message === 'object' && message !== null) imports.add(message);
    },
    asyncEnd: settled,
    error: settled,
  };
  const unsubscribe = (): void => {
    for (const event of IMPORT_EVENTS) diagnosticsChannel.unsubscribe(`tracing:module.import:${event}`, listeners[event]);
  };
  function maybeEnd(): void {
    if (ended || !firstTurnSeen || imports.size > 0) return;
    ended = true;
    unsubscribe();
    onEnd();
  }
  for (const event of IMPORT_EVENTS) diagnosticsChannel.subscribe(`tracing:module.import:${event}`, listeners[event]);
  setImmediate(() => {
    firstTurnSeen = true;
    maybeEnd();
  }).unref();
}
