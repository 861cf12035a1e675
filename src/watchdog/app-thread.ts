/**
 * What the preload does inside an app's worker thread (it inherits `--require` through execArgv or
 * NODE_OPTIONS): no second watchdog, just a heartbeat in a SharedArrayBuffer that the process's one
 * watchdog polls, exactly as it polls the main thread's. The watchdog learns of the thread over a
 * BroadcastChannel; everything here is unref'd, so the thread exits exactly as it would without
 * loopwatch.
 */
import { BroadcastChannel, getEnvironmentData, threadId } from 'node:worker_threads';
import type { Options } from '../options';
import { createLiveStats, type FeatureContext } from '../feature';
import { startSyncApiTiming } from '../sync-api';
import { watchWorkerExits } from './thread-exits';
import { registerForNativeCapture } from '../capture/native-binding';
import {
  CAPTURE_PATH_KEY,
  HEARTBEAT_MS,
  REGISTRY_BYTES,
  REGISTRY_KEY,
  REGISTRY_SLOTS,
  nsToMs,
  slotBeatIndex,
  slotIdIndex,
  slotSyncCallIndex,
  threadsChannelName,
  type ThreadMessage,
} from './shared';
import { nowNs } from '../clock';

export interface ThreadRegistration {
  stop(): void;
}

export function registerThread(options: Options, warn: FeatureContext['warn']): ThreadRegistration {
  const registry = getEnvironmentData(REGISTRY_KEY);
  // No registry: the main thread runs no loopwatch (LOOPWATCH_MODE=off there, or a worker of a
  // process started without the preload): there is no watchdog to register with.
  if (!(registry instanceof SharedArrayBuffer) || registry.byteLength < REGISTRY_BYTES) return { stop: () => undefined };
  // Before the slot is claimed: the watchdog may capture this thread as soon as it watches it, and a
  // thread the native module does not list counts as gone.
  if (getEnvironmentData(CAPTURE_PATH_KEY) === 'native') {
    const whyNot = registerForNativeCapture();
    if (whyNot !== null) warn('LOOPWATCH_NO_NATIVE_CAPTURE', `no native stack capture in worker thread ${threadId}: ${whyNot}; its stalls are still timed`);
  }
  const ids = new Int32Array(registry);
  const beats = new BigInt64Array(registry);
  let lastBeat = nowNs();
  let slot = -1;
  for (let candidate = 0; candidate < REGISTRY_SLOTS && slot < 0; candidate++) {
    if (Atomics.load(ids, slotIdIndex(candidate)) !== 0) continue;
    // The heartbeat first: the watchdog starts watching the slot as soon as the id is in it.
    Atomics.store(beats, slotBeatIndex(candidate), lastBeat);
    Atomics.store(ids, slotSyncCallIndex(candidate), 0);
    if (Atomics.compareExchange(ids, slotIdIndex(candidate), 0, threadId) === 0) slot = candidate;
  }
  if (slot < 0) return { stop: () => undefined };
  const beatIndex = slotBeatIndex(slot);

  const channel = new BroadcastChannel(threadsChannelName(process.pid));
  const post = (message: ThreadMessage): void => {
    try {
      channel.postMessage(message);
    } catch {
      // Channel closed at exit: nobody to tell.
    }
  };
  channel.unref();

  /** Same as the main thread's beat: a late heartbeat measures the stall that just ended. */
  const beat = (): void => {
    const now = nowNs();
    const latenessMs = nsToMs(now - lastBeat) - HEARTBEAT_MS;
    lastBeat = now;
    Atomics.store(beats, beatIndex, now);
    if (latenessMs >= options.thresholdMs) post({ type: 'stall', threadId, durationMs: latenessMs, endNs: String(now) });
  };
  const heartbeat = setInterval(beat, HEARTBEAT_MS);
  heartbeat.unref();

  // Slow sync calls in this thread carry their exact call site to the watchdog, as on the main thread.
  const context: FeatureContext = {
    options,
    stats: createLiveStats(),
    warn,
    addReportSection: () => undefined,
    markDirty: () => undefined,
    slowCall: (call) => post({ type: 'slow-call', threadId, call }),
    onStall: () => undefined,
    onBusy: () => undefined,
    // Tells the watchdog this thread is inside a native call, where a pause cannot land: it then
    // queues none (one queued there would outlive a watchdog that dies before the call returns).
    syncCallSlot: new Int32Array(registry, slotSyncCallIndex(slot) * Int32Array.BYTES_PER_ELEMENT, 1),
  };
  let stopSyncApis: () => void = () => undefined;
  try {
    stopSyncApis = startSyncApiTiming(context);
  } catch (error) {
    warn('LOOPWATCH_INTERNAL', `sync-api timing could not start in worker thread ${threadId} (${(error as Error).message})`);
  }

  const onExit = (): void => {
    // The last turn of the loop measures a stall that ends in process.exit() or the script's end.
    beat();
    post({ type: 'unregister', threadId, slot });
    // No channel.close() here: it drops the messages just posted (the stall, the slow call that
    // caused it, this unregister) before they are delivered. The channel dies with the thread.
  };
  // Runs when the thread ends by itself or calls process.exit(); not on worker.terminate(), which
  // runs no JavaScript: the thread that created the Worker says so instead (see exits.ts).
  process.on('exit', onExit);
  const stopWatchingExits = watchWorkerExits((ended) => post({ type: 'thread-exit', threadId: ended }));

  return {
    stop() {
      process.removeListener('exit', onExit);
      stopWatchingExits();
      clearInterval(heartbeat);
      stopSyncApis();
      post({ type: 'unregister', threadId, slot });
      channel.close();
    },
  };
}
