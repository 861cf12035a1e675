/**
 * The watchdog's view of one event loop (the main thread, or an app worker thread that registered)
 * and of the stall it is in, if any.
 */
import type { RequestsAtStall } from '../http/requests';
import type { StallDetector } from './detector';
import type { Frame } from '../stack/frames';
import type { StallRecord } from '../report/aggregate';

export interface OpenStall {
  beatNs: bigint;
  at: string;
  /** How late the heartbeat was when the watchdog noticed (detection latency, minus < 1 heartbeat). */
  detectedAfterMs: number;
  /** From detection to the first stack in hand. */
  captureMs?: number;
  site: Frame | null;
  stack: Frame[];
  samples: StallRecord['samples'];
  noStackReason: string | undefined;
  capturing: Promise<void> | null;
  /** How long the stall had lasted at the last stack in hand: the thread was alive until then. */
  aliveMs?: number;
  /** The sync API the thread was inside when the stall was detected (a native call: no pause lands). */
  inSyncApi?: string;
  /** A sample found that sync call returned while the loop was still blocked (see CaptureScheduler). */
  syncReturnedSeen?: boolean;
  /** A worker thread's capture got no answer: its relay, the main thread, was busy. Try again. */
  retryCapture?: boolean;
  /** The last sample found no JavaScript frame, or came too early: the next one tries again. */
  retryNextSample?: boolean;
  /** The site's stack stopped at a function's entry: a later sample at a statement replaces it. */
  siteAtEntry?: boolean;
}

/**
 * One sample: the stack, or null when none could be read. It also says why a thread could not be
 * reached: it is not listed any more (it has exited), no answer came in time (the thread, or the
 * main thread that relays inspector captures, is inside a long native call), or it had no frames.
 */
export interface SampleResult {
  frames: Frame[] | null;
  /**
   * `no-frames`: the thread answered with no JavaScript on its stack (the native capture's interrupt
   * ran between two microtasks): a later sample may land inside one. `starting`: the native
   * capture thread is not up yet (the first moments of the process).
   */
  unreachable?: 'not-listed' | 'timed-out' | 'no-frames' | 'starting';
  /** The top frame stopped at its function's entry, not at a statement (src/stack/entry-position.ts). */
  atEntry?: boolean;
}

/**
 * What reads a blocked thread's stack: the native capture (native-capture.ts), or the inspector's
 * pause (inspector-capture.ts for the main thread, inspector-thread-capture.ts for a worker thread). `stillBlocked`
 * and `beatNs` say whether the stall is still going on (the heartbeat it began with): a stack read
 * after the loop turned belongs to a later callback and is dropped.
 */
export interface Sampler {
  sample(stillBlocked: () => boolean, beatNs: bigint): Promise<SampleResult>;
  /**
   * The stack of whatever callback runs now, for a busy loop (src/watchdog/busy.ts). The native
   * path only: an inspector pause per sample would slow the busy code it samples.
   */
  sampleRunning?(): Promise<SampleResult>;
  end(): Promise<void>;
  endNow(): void;
}

/** A stall the thread measured, waiting for its stack capture to finish. */
export interface Measured {
  stall: OpenStall;
  durationMs: number;
  endNs: bigint;
  /** The main thread's HTTP requests when the stall ended (src/http/requests.ts). */
  http?: RequestsAtStall | undefined;
}

export interface Watched {
  /** 0 for the main thread. */
  threadId: number;
  beats: BigInt64Array;
  /** Where its heartbeat is in `beats`. */
  beatIndex: number;
  /** A worker thread's registry slot; -1 for the main thread. */
  slot: number;
  detector: StallDetector;
  capture: Sampler | null;
  open: OpenStall | null;
  /** Stalls the thread measured whose stack capture is still in flight. */
  awaitingCapture: Set<Measured>;
  /** Known to have ended (see GONE_GRACE_MS in thread-registry.ts); not polled any more. */
  gone?: boolean;
}

export function openStall(beatNs: bigint, elapsedMs: number): OpenStall {
  return {
    beatNs,
    at: new Date(Date.now() - elapsedMs).toISOString(),
    detectedAfterMs: elapsedMs,
    site: null,
    stack: [],
    samples: [],
    noStackReason: undefined,
    capturing: null,
  };
}
