/**
 * Makes the sampler of each watched thread for the capture path chosen at start-up
 * (src/capture/choose.ts), and owns what the samplers share: the native path's capture thread,
 * the inspector path's count of sessions attached to worker threads.
 */
import { StackCapture } from './inspector-capture';
import { ThreadStackCapture } from './inspector-thread-capture';
import { NativeCaptureThread, NativeSampler } from './native-capture';
import { THREAD_SESSIONS_INDEX, type WatchdogData } from './shared';
import type { Sampler } from './watched';
import type { WarningCode } from '../codes';

export interface SamplersHooks {
  warn(code: WarningCode, message: string): void;
  /** The process is exiting: no capture may start (see EXITING_INDEX). */
  exiting(): boolean;
  /** The capture thread failed: every sampler handed out is dead, drop them. */
  lost(): void;
}

export class Samplers {
  private captureThread: NativeCaptureThread | null = null;
  private nativeDown = false;
  private threadSessions = 0;

  constructor(
    private readonly data: Pick<WatchdogData, 'capture' | 'shared' | 'registry'>,
    private readonly flags: Int32Array,
    private readonly hooks: SamplersHooks,
  ) {}

  /** The sampler of a watched thread (0: the main thread); null when stacks are off or the capture thread died. */
  forThread(threadId: number, beats: 'main' | 'registry', beatIndex: number): Sampler | null {
    switch (this.data.capture) {
      case 'native':
        return this.nativeDown ? null : new NativeSampler(() => this.nativeThread(), { key: String(threadId), beats, beatIndex });
      case 'inspector':
        return threadId === 0 ? new StackCapture() : new ThreadStackCapture(threadId, (connected) => this.onThreadSession(connected));
      case 'off':
        return null;
    }
  }

  /** At exit: the capture thread stops (a capture in flight answers nothing). */
  close(): void {
    this.captureThread?.close();
  }

  /**
   * Starts the native path's capture thread ahead of the first stall (worker.ts calls this once the
   * watchdog polls). Started at the first capture instead, it saved its ~9 MiB of RSS in processes
   * that never stall, but the first stall's first stack then waited for its boot: 100-270 ms on
   * this 2-core machine under load, long enough to lose the start of a 750 ms stall.
   */
  warmUp(): void {
    if (this.data.capture === 'native') this.nativeThread();
  }

  /** The capture thread (capture-thread.ts), started once; null when it failed. */
  private nativeThread(): NativeCaptureThread | null {
    if (this.captureThread !== null || this.nativeDown || this.hooks.exiting()) return this.captureThread;
    const down = (message: string): void => {
      this.captureThread = null;
      this.nativeDown = true;
      this.hooks.lost();
      this.hooks.warn('LOOPWATCH_NO_NATIVE_CAPTURE', `native stack capture ${message}; stalls are still timed`);
    };
    try {
      this.captureThread = new NativeCaptureThread({ shared: this.data.shared, registry: this.data.registry }, (why) => down(`stopped: ${why}`));
    } catch (error) {
      down(`could not start (${(error as Error).message})`);
    }
    return this.captureThread;
  }

  /**
   * An inspector session attaches to (true) or leaves (false) a worker thread. Counted in shared
   * memory (THREAD_SESSIONS_INDEX): an exit without a report flushes while one is attached.
   * Counted first, then checked: no session may start once the process exits.
   */
  private onThreadSession(connected: boolean): boolean {
    this.threadSessions += connected ? 1 : -1;
    Atomics.store(this.flags, THREAD_SESSIONS_INDEX, this.threadSessions);
    return !connected || !this.hooks.exiting();
  }
}
