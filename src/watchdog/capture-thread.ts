/**
 * The capture thread: a small worker the watchdog starts when the capture path is `native`. The
 * native capture blocks its calling thread until every registered thread has taken a V8 interrupt,
 * which a thread inside a long native call does only when the call returns (the module waits at
 * most 5 s per thread). The watchdog must stay responsive meanwhile (it writes the hang report, and
 * the exit handshake waits on it), so the blocking call runs here, one request at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadNativeStacks, type NativeFrame } from '../capture/native-binding';
import { isEntryPosition } from '../stack/entry-position';
import { CAPTURED_REQUEST_BEAT_INDEX, CAPTURED_REQUEST_INDEX, EXITING_INDEX, NATIVE_CAPTURE_INDEX } from './shared';
import type { CaptureReply, CaptureRequest, CaptureThreadData } from './native-capture';

/**
 * A request older than this was given up on by the watchdog (NATIVE_REPLY_TIMEOUT_MS) while an
 * earlier capture blocked this thread: skipped, so a backlog never turns into a burst of interrupts.
 */
const STALE_REQUEST_MS = 1500;
/** The module's own wait per thread (5 s), less a margin: a capture this long was given up on. */
const MODULE_TIMEOUT_MS = 4900;
/**
 * Captures tried in a row while the thread answers with no frames or at a function's entry (see
 * below), and their time budget. One capture takes about 0.5 ms, nearly all of it waiting for the
 * thread's next interrupt check; the thread itself spends microseconds on each.
 */
const RETRY_ATTEMPTS = 150;
const MIN_RETRY_ATTEMPTS = 3;
const RETRY_BUDGET_MS = 50;

const data = workerData as CaptureThreadData;
const flags = new Int32Array(data.shared);
const mainBeats = new BigInt64Array(data.shared);
const beatViews = { main: mainBeats, registry: new BigInt64Array(data.registry) };
const binding = loadNativeStacks();

function capture(request: CaptureRequest): CaptureReply {
  const { id } = request;
  if (binding instanceof Error) return { id, outcome: 'failed', error: binding.message };
  if (Number(process.hrtime.bigint() - BigInt(request.postedNs)) / 1e6 > STALE_REQUEST_MS) return { id, outcome: 'stale' };
  const beats = beatViews[request.beats];
  const expected = BigInt(request.beatNs);
  /** Whether the loop turned since the stall began; a busy loop's sample takes any callback. */
  const turned = (): boolean => request.anyTurn !== true && Atomics.load(beats, request.beatIndex) !== expected;
  // The loop turned while the request waited: nothing to capture (and no interrupt to send).
  if (turned()) return { id, outcome: 'turned' };
  // Counted first, then checked (as THREAD_SESSIONS_INDEX is): an exiting main thread either sees
  // the capture and waits for it, or the capture sees the exit and does not start.
  Atomics.store(flags, NATIVE_CAPTURE_INDEX, 1);
  try {
    if (Atomics.load(flags, EXITING_INDEX) === 1) return { id, outcome: 'exiting' };
    const startedNs = process.hrtime.bigint();
    /** The first stack whose top frame is a function's entry: kept in case no better one comes. */
    let entryStack: NativeFrame[] | null = null;
    for (let attempt = 1; ; attempt++) {
      const attemptNs = process.hrtime.bigint();
      const threads = binding.captureStackTrace();
      const tookMs = Number(process.hrtime.bigint() - attemptNs) / 1e6;
      // A stack taken after the loop turned belongs to a later callback: only one read while the
      // heartbeat is still the one the stall began with is the stall's.
      if (turned()) return entryStack !== null ? { id, outcome: 'captured', frames: entryStack, atEntry: true } : { id, outcome: 'turned' };
      const thread = threads[request.key];
      if (thread === undefined) return { id, outcome: 'not-listed' };
      if (request.beats === 'main') handOverRequest(thread.asyncState, expected);
      const frames = thread.frames;
      if (frames.length > 0 && !isEntryPosition(frames[0]!)) return { id, outcome: 'captured', frames };
      if (frames.length > 0) entryStack ??= frames;
      // The module gives up on a thread after 5 s (a long native call) and answers no frames.
      else if (tookMs >= MODULE_TIMEOUT_MS) return { id, outcome: 'no-answer' };
      // No frames sooner: the thread took the interrupt with no JavaScript on its stack, between
      // two microtasks of a long promise chain. A frame at a function's entry: the interrupt was
      // taken as an async function resumed after an await (or a function was called), before its
      // body ran: the line is the function's, not the statement's. Measured on an await chain, 10-30%
      // of interrupts land inside a microtask, a few of them past its entry: quick retries find the line.
      // Each attempt interrupts every registered thread, not just this one: with many worker
      // threads, fewer attempts, so the others barely notice.
      const attempts = Math.max(MIN_RETRY_ATTEMPTS, Math.floor(RETRY_ATTEMPTS / Object.keys(threads).length));
      const spentMs = Number(process.hrtime.bigint() - startedNs) / 1e6;
      if (attempt >= attempts || spentMs >= RETRY_BUDGET_MS) {
        return entryStack !== null ? { id, outcome: 'captured', frames: entryStack, atEntry: true } : { id, outcome: 'no-frames' };
      }
    }
  } catch (error) {
    return { id, outcome: 'failed', error: (error as Error).message };
  } finally {
    Atomics.store(flags, NATIVE_CAPTURE_INDEX, 0);
    Atomics.notify(flags, NATIVE_CAPTURE_INDEX);
  }
}

/**
 * The HTTP request the main thread was blocked in, as the module read it from loopwatch's
 * AsyncLocalStorage (its id, JSON): straight into shared memory, where the main thread's heartbeat
 * finds it as the stall ends (src/http/requests.ts). The beat first, then the id.
 */
function handOverRequest(asyncState: string | undefined, beatNs: bigint): void {
  const requestId = asyncState === undefined || asyncState === '' ? NaN : Number(asyncState);
  if (!Number.isInteger(requestId) || requestId <= 0) return;
  Atomics.store(mainBeats, CAPTURED_REQUEST_BEAT_INDEX, beatNs);
  Atomics.store(flags, CAPTURED_REQUEST_INDEX, requestId);
}

parentPort?.on('message', (request: CaptureRequest) => {
  parentPort?.postMessage(capture(request));
});
