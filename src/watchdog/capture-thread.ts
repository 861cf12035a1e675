/**
 * The capture thread: a small worker the watchdog starts when the capture path is `native`. The
 * native capture blocks its calling thread until every registered thread has taken a V8 interrupt,
 * which a thread inside a long native call does only when the call returns (the module waits at
 * most 5 s per thread). The watchdog must stay responsive meanwhile (it writes the hang report, and
 * the exit handshake waits on it), so the blocking call runs here, one request at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadNativeStacks } from '../capture/native-binding';
import { EXITING_INDEX, NATIVE_CAPTURE_INDEX } from './shared';
import type { CaptureReply, CaptureRequest, CaptureThreadData } from './native-capture';

/**
 * A request older than this was given up on by the watchdog (NATIVE_REPLY_TIMEOUT_MS) while an
 * earlier capture blocked this thread: skipped, so a backlog never turns into a burst of interrupts.
 */
const STALE_REQUEST_MS = 1500;

const data = workerData as CaptureThreadData;
const flags = new Int32Array(data.shared);
const beatViews = { main: new BigInt64Array(data.shared), registry: new BigInt64Array(data.registry) };
const binding = loadNativeStacks();

function capture(request: CaptureRequest): CaptureReply {
  const { id } = request;
  if (binding instanceof Error) return { id, outcome: 'failed', error: binding.message };
  if (Number(process.hrtime.bigint() - BigInt(request.postedNs)) / 1e6 > STALE_REQUEST_MS) return { id, outcome: 'stale' };
  const beats = beatViews[request.beats];
  const expected = BigInt(request.beatNs);
  // The loop turned while the request waited: nothing to capture (and no interrupt to send).
  if (Atomics.load(beats, request.beatIndex) !== expected) return { id, outcome: 'turned' };
  // Counted first, then checked (as THREAD_SESSIONS_INDEX is): an exiting main thread either sees
  // the capture and waits for it, or the capture sees the exit and does not start.
  Atomics.store(flags, NATIVE_CAPTURE_INDEX, 1);
  try {
    if (Atomics.load(flags, EXITING_INDEX) === 1) return { id, outcome: 'exiting' };
    const threads = binding.captureStackTrace();
    // A stack taken after the loop turned belongs to a later callback: only one read while the
    // heartbeat is still the one the stall began with is the stall's.
    if (Atomics.load(beats, request.beatIndex) !== expected) return { id, outcome: 'turned' };
    const thread = threads[request.key];
    if (thread === undefined) return { id, outcome: 'not-listed' };
    // No frames: the thread did not take the interrupt within the module's 5 s (a long native call).
    if (thread.frames.length === 0) return { id, outcome: 'no-answer' };
    return { id, outcome: 'captured', frames: thread.frames };
  } catch (error) {
    return { id, outcome: 'failed', error: (error as Error).message };
  } finally {
    Atomics.store(flags, NATIVE_CAPTURE_INDEX, 0);
    Atomics.notify(flags, NATIVE_CAPTURE_INDEX);
  }
}

parentPort?.on('message', (request: CaptureRequest) => {
  parentPort?.postMessage(capture(request));
});
