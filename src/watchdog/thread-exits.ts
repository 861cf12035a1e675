/**
 * Tells the watchdog when a worker thread ends, `worker.terminate()` included. terminate() runs no
 * JavaScript in the thread, so its own exit handler never says goodbye; the thread that created the
 * Worker does see its 'exit' event. Node emits `process.on('worker')` for every Worker a thread
 * creates, so this needs nothing from the app and works without the inspector (LOOPWATCH_STACKS=off).
 * An 'exit' listener neither keeps the Worker alive nor changes what the app's own listeners see.
 */
import type { Worker } from 'node:worker_threads';

/** Calls `onExit(threadId)` when a Worker created by this thread ends. Returns the undo. */
export function watchWorkerExits(onExit: (threadId: number) => void, ignored: Worker | null = null): () => void {
  const onWorker = (worker: Worker): void => {
    if (worker === ignored) return;
    // Read now: after the exit, `worker.threadId` is -1.
    const { threadId } = worker;
    worker.once('exit', () => {
      try {
        onExit(threadId);
      } catch {
        // Bookkeeping only: never an error in the app's event.
      }
    });
  };
  process.on('worker', onWorker);
  return () => void process.removeListener('worker', onWorker);
}
