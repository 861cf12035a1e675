/**
 * The pause-read-resume step both stack captures share (the main thread's, through
 * `connectToMainThread`, and a worker thread's, relayed by `NodeWorker`): they differ only in how a
 * command reaches the thread.
 */
import type { InspectorCallFrame } from '../stack/frames';

/** The pause request is serviced at V8's next interrupt check; native calls delay it. */
const PAUSE_TIMEOUT_MS = 2000;

/** The one pending wait for a session's next `Debugger.paused` event. */
export class PauseWaiter {
  private waiter: ((frames: InspectorCallFrame[] | null) => void) | null = null;

  /** Hands a `Debugger.paused` event over; false when nobody waits (a late pause: resume it). */
  deliver(frames: InspectorCallFrame[]): boolean {
    const waiter = this.waiter;
    if (waiter === null) return false;
    waiter(frames);
    return true;
  }

  /** The wait in progress, if any, ends now with no frames (its session is being closed). */
  cancel(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.(null);
  }

  /** The next pause's call frames, or null after PAUSE_TIMEOUT_MS. */
  next(): Promise<InspectorCallFrame[] | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, PAUSE_TIMEOUT_MS);
      this.waiter = (frames) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(frames);
      };
    });
  }
}

/**
 * Pauses the thread, reads its stack, resumes it. `enabled` is the answer to a `Debugger.enable`
 * sent just before (or long ago): the pause goes right behind it, without waiting, so the thread
 * handles both in one interrupt while the stall goes on. `stillBlocked` is asked while the thread
 * is paused (its heartbeat is frozen then): if the loop turned before the pause landed, the stack
 * belongs to some later callback and is dropped. A failed command calls `onFailure`, then throws.
 */
export async function pauseAndRead(
  send: (method: string) => Promise<unknown>,
  waiter: PauseWaiter,
  enabled: Promise<unknown>,
  stillBlocked: () => boolean,
  onFailure: () => Promise<void>,
): Promise<InspectorCallFrame[] | null> {
  const paused = waiter.next();
  const pauseSent = send('Debugger.pause');
  try {
    // Both awaited as one: when enable fails, the pause fails too, and a rejection nobody awaits
    // would end the watchdog (an unhandled rejection kills a worker thread).
    await Promise.all([enabled, pauseSent]);
  } catch (error) {
    waiter.cancel();
    await onFailure();
    throw error;
  }
  const callFrames = await paused;
  if (callFrames === null) return null;
  const valid = stillBlocked();
  await send('Debugger.resume').catch(() => undefined);
  return valid ? callFrames : null;
}
