/**
 * The app worker threads the watchdog watches. Threads claim a slot in the shared registry from
 * their own preload (src/watchdog/app-thread.ts); the watchdog discovers them there on each tick, and
 * frees the slot when they unregister, when their creator sees them exit, or when the inspector no
 * longer lists them (worker.terminate() runs no exit handler in the thread).
 */
import { REGISTRY_SLOTS, slotBeatIndex, slotIdIndex, slotSyncCallIndex } from './shared';
import type { OpenStall, Watched } from './watched';

/**
 * A thread known to be gone (its creator saw it exit, or the inspector no longer lists it) may have
 * ended by itself, with its last messages (the stall it measured, the slow call that caused it)
 * still on their way: they win if they arrive within this long; otherwise it was terminated.
 */
const GONE_GRACE_MS = 300;

export interface ThreadRegistryHooks {
  /** The watchdog's state for a thread that just claimed `slot`. */
  watch(threadId: number, slot: number, beats: BigInt64Array, beatIndex: number): Watched;
  /** It was terminated, not ended by itself: `open` is the stall it was in, if any. */
  terminated(watched: Watched, open: OpenStall | null): void;
}

export class ThreadRegistry {
  private readonly threads = new Map<number, Watched>();
  private readonly ids: Int32Array;
  private readonly beats: BigInt64Array;

  constructor(
    registry: SharedArrayBuffer,
    private readonly hooks: ThreadRegistryHooks,
  ) {
    this.ids = new Int32Array(registry);
    this.beats = new BigInt64Array(registry);
  }

  get size(): number {
    return this.threads.size;
  }

  has(threadId: number): boolean {
    return this.threads.has(threadId);
  }

  get(threadId: number): Watched | undefined {
    return this.threads.get(threadId);
  }

  values(): IterableIterator<Watched> {
    return this.threads.values();
  }

  /** The number of the sync API the thread is inside, 0 for none (numbered as SYNC_CALL_INDEX is). */
  syncCallNumber(watched: Watched): number {
    return Atomics.load(this.ids, slotSyncCallIndex(watched.slot));
  }

  /** The threads that claimed a slot since the last call. */
  discover(): void {
    for (let slot = 0; slot < REGISTRY_SLOTS; slot++) {
      const threadId = Atomics.load(this.ids, slotIdIndex(slot));
      if (threadId === 0 || this.threads.has(threadId)) continue;
      this.threads.set(threadId, this.hooks.watch(threadId, slot, this.beats, slotBeatIndex(slot)));
    }
  }

  /** The thread said it is ending. A capture still in flight keeps its stall (its message came first, same channel). */
  unregistered(threadId: number, slot: number): void {
    const watched = this.threads.get(threadId);
    if (watched !== undefined) this.forget(watched);
    // A thread that lived less than a tick was never discovered: free its slot all the same.
    else if (slot >= 0 && slot < REGISTRY_SLOTS) Atomics.compareExchange(this.ids, slotIdIndex(slot), threadId, 0);
  }

  /**
   * The thread that created a worker saw it end. Without its own `unregister` (it was terminated),
   * this is how its slot gets freed, with or without an inspector to notice it is gone.
   */
  exited(threadId: number): void {
    // A thread that lived less than a tick has a slot but was never discovered.
    this.discover();
    const watched = this.threads.get(threadId);
    if (watched !== undefined) this.gone(watched);
  }

  /** The inspector no longer lists the thread, or its creator saw it exit: it ended, one way or the other. */
  gone(watched: Watched): void {
    if (watched.gone === true) return;
    watched.gone = true;
    setTimeout(() => {
      // Its own unregister arrived: it ended by itself and its messages said everything.
      if (this.threads.get(watched.threadId) !== watched) return;
      this.forget(watched);
      const open = watched.open;
      watched.open = null;
      this.hooks.terminated(watched, open);
    }, GONE_GRACE_MS);
  }

  private forget(watched: Watched): void {
    if (this.threads.get(watched.threadId) !== watched) return;
    this.threads.delete(watched.threadId);
    // The watchdog frees the slot, never the thread: a stall message still on its way finds its thread.
    Atomics.compareExchange(this.ids, slotIdIndex(watched.slot), watched.threadId, 0);
    void watched.capture?.end();
  }
}
