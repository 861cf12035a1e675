/**
 * Flushes the report on SIGTERM/SIGINT without changing what the signal does. A listener replaces
 * Node's default "die by this signal", so when ours is the only one we remove it and raise the signal
 * again: the process then dies exactly as it would have, with the same status for its parent. When
 * the app has listeners of its own, we only flush and let the app decide.
 */
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function flushOnSignals(flush: () => void): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  const detach = (): void => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    handlers.clear();
  };
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
