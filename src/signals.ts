/**
 * Flushes the report on SIGTERM/SIGINT without changing what the signal does. A listener replaces
 * Node's default "die by this signal", so when ours is the only one we remove it and raise the signal
 * again: the process then dies exactly as it would have, with the same status for its parent. When
 * the app has listeners of its own, we only flush and let the app decide.
 */
import { RELEASE_SIGNALS_KEY } from './watchdog/shared';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type GlobalWithRelease = typeof globalThis & { [key: symbol]: (() => void) | undefined };

export function flushOnSignals(flush: () => void): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  const releaseKey = Symbol.for(RELEASE_SIGNALS_KEY);
  const holder = globalThis as GlobalWithRelease;
  const detach = (): void => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    handlers.clear();
    if (holder[releaseKey] === detach) delete holder[releaseKey];
  };
  // The watchdog calls this on a hung main thread (through the inspector, while it is paused).
  holder[releaseKey] = detach;
  for (const signal of SIGNALS) {
    const handler = (): void => {
      try {
        flush();
      } catch {
        // Flushing is best effort; the signal's effect is not.
      }
      if (process.listenerCount(signal) === 1) {
        detach();
        process.kill(process.pid, signal);
      }
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return detach;
}
