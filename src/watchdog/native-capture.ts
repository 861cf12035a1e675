/**
 * The watchdog's side of the native capture path: the capture thread (capture-thread.ts) that
 * makes the blocking native call, and one Sampler per watched thread that asks it for a stack.
 * No debugger is involved: V8 adds no debug info to the functions it interrupts, so nothing is
 * deoptimised and V8's inliner has no debug-info race to lose (docs/capture.md).
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { mapFrame, MAX_SCANNED_FRAMES, urlToPath, type Frame } from '../stack/frames';
import type { NativeFrame } from '../capture/native-binding';
import type { SampleResult, Sampler } from './watched';

/**
 * The watchdog waits this long for a stack, as it waits for an inspector pause: a thread inside a
 * long native call answers when the call returns, and the stall may be long over by then.
 */
const NATIVE_REPLY_TIMEOUT_MS = 2000;

export interface CaptureThreadData {
  shared: SharedArrayBuffer;
  registry: SharedArrayBuffer;
}

/** Which thread, and the heartbeat the stall began with: a stack read after it changed is not the stall's. */
export interface CaptureRequest {
  id: number;
  key: string;
  beats: 'main' | 'registry';
  beatIndex: number;
  beatNs: string;
  postedNs: string;
  /** A busy loop's sample (src/watchdog/busy.ts): any callback's stack will do, the loop may turn. */
  anyTurn?: true;
}

export type CaptureReply =
  /** `atEntry`: every stack found stopped at a function's entry (see src/stack/entry-position.ts). */
  | { id: number; outcome: 'captured'; frames: NativeFrame[]; atEntry?: true }
  | { id: number; outcome: 'turned' | 'not-listed' | 'no-answer' | 'no-frames' | 'exiting' | 'stale' }
  | { id: number; outcome: 'failed'; error: string };

/** Where a watched thread's heartbeat is, and the name the native module knows it by. */
export interface NativeTarget {
  key: string;
  beats: CaptureRequest['beats'];
  beatIndex: number;
}

export class NativeCaptureThread {
  private worker: Worker | null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(reply: CaptureReply | null): void; timer: NodeJS.Timeout }>();

  /** `onFailure` is told once if the thread cannot start or dies: captures then answer nothing. */
  constructor(
    data: CaptureThreadData,
    private readonly onFailure: (message: string) => void,
    file = path.join(__dirname, 'capture-thread.js'),
  ) {
    const worker = new Worker(file, { workerData: data, execArgv: [] });
    worker.on('message', (reply: CaptureReply) => this.settle(reply.id, reply));
    worker.on('error', (error) => this.fail(`failed (${error.message})`));
    worker.on('exit', (code) => this.fail(`exited (code ${code})`));
    // Never what keeps the process alive.
    worker.unref();
    this.worker = worker;
  }

  /** A stack of `target`, or null when no answer came in time (or the thread is gone). */
  capture(target: NativeTarget, beatNs: bigint, anyTurn = false): Promise<CaptureReply | null> {
    const worker = this.worker;
    if (worker === null) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, null), NATIVE_REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      const request: CaptureRequest = { id, ...target, beatNs: String(beatNs), postedNs: String(process.hrtime.bigint()), ...(anyTurn ? { anyTurn: true as const } : {}) };
      worker.postMessage(request);
    });
  }

  /** Stops the thread; captures in flight answer nothing. Idempotent. */
  close(): void {
    const worker = this.worker;
    this.worker = null;
    for (const id of [...this.pending.keys()]) this.settle(id, null);
    if (worker !== null) void worker.terminate();
  }

  private settle(id: number, reply: CaptureReply | null): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(reply);
  }

  private fail(why: string): void {
    if (this.worker === null) return;
    this.close();
    this.onFailure(`the capture thread ${why}`);
  }
}

/** Samples one watched thread through the capture thread. */
export class NativeSampler implements Sampler {
  /** `thread`: the capture thread, once it is started (see worker.ts). */
  constructor(
    private readonly thread: () => NativeCaptureThread | null,
    private readonly target: NativeTarget,
  ) {}

  sample(_stillBlocked: () => boolean, beatNs: bigint): Promise<SampleResult> {
    return this.capture(beatNs, false);
  }

  /** The stack of whatever callback runs now: a busy loop's sample, not a stall's. */
  sampleRunning(): Promise<SampleResult> {
    return this.capture(0n, true);
  }

  private async capture(beatNs: bigint, anyTurn: boolean): Promise<SampleResult> {
    const thread = this.thread();
    if (thread === null) return { frames: null, unreachable: 'starting' };
    const reply = await thread.capture(this.target, beatNs, anyTurn);
    if (reply === null) return { frames: null, unreachable: 'timed-out' };
    switch (reply.outcome) {
      case 'captured':
        return { frames: toFrames(reply.frames), ...(reply.atEntry ? { atEntry: true } : {}) };
      case 'failed':
        throw new Error(reply.error);
      case 'not-listed':
        return { frames: null, unreachable: 'not-listed' };
      case 'no-answer':
        return { frames: null, unreachable: 'timed-out' };
      case 'no-frames':
        return { frames: null, unreachable: 'no-frames' };
      default:
        return { frames: null };
    }
  }

  /** Nothing stays attached between samples: nothing to end. */
  end(): Promise<void> {
    return Promise.resolve();
  }

  endNow(): void {}
}

/** Native frames (1-based, script names as V8 reports them) as report frames, source-mapped. */
export function toFrames(frames: readonly NativeFrame[]): Frame[] {
  return frames.slice(0, MAX_SCANNED_FRAMES).map((frame) =>
    mapFrame({
      file: urlToPath(frame.filename === '<unknown>' ? '' : frame.filename),
      line: frame.lineno,
      column: frame.colno,
      function: frame.function === '?' || frame.function === '' ? '(anonymous)' : frame.function,
    }),
  );
}
