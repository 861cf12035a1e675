/**
 * Captures a blocked worker thread's stack from the watchdog worker. `connectToMainThread` only
 * reaches the main thread, so the session goes through the main thread's inspector `NodeWorker`
 * domain (no port is opened): `NodeWorker.enable` attaches a session to every worker thread,
 * `NodeWorker.sendMessageToWorker` carries `Debugger.*` commands to the one we want, and its replies
 * and events come back in `NodeWorker.receivedMessageFromWorker`. The main thread relays them at
 * its interrupt checks, so this works while the main thread runs JavaScript too (it is delayed
 * while the main thread is inside a long native call).
 *
 * A worker is found by its title, `[worker <threadId>]`: `workerInfo.workerId` is the inspector's
 * own counter, not the threadId (matching on it attaches to the wrong thread, the watchdog itself
 * included, and a watchdog that pauses itself never hears back).
 *
 * Each sample gets its own session, closed as soon as the stack is read: the thread is paused only
 * for the read, and nothing is left attached between samples. Closing has to be explicit
 * (`Debugger.disable`, then `NodeWorker.detach`): disconnecting alone leaves the worker-side session
 * attached until the thread exits, and a pause still on its way then lands with nobody to resume
 * it — the thread stays paused and the process cannot exit.
 */
import * as inspector from 'node:inspector';
import { toFrames, type InspectorCallFrame } from '../stack/frames';
import { postQuietly } from './inspector-capture';
import { PauseWaiter, pauseAndRead } from './inspector-pause';
import type { SampleResult, Sampler } from './watched';

const ATTACH_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 2000;

/** Whether an inspector `workerInfo.title` names the worker thread `threadId` (`[worker 3]`, `[worker 3] name`). */
export function isThreadTitle(title: string, threadId: number): boolean {
  return title === `[worker ${threadId}]` || title.startsWith(`[worker ${threadId}] `);
}

/**
 * What attaching found: the thread's session; the inspector does not list the thread (it has
 * exited: terminate() runs no exit handler); or no answer in time (the main thread, which relays,
 * is inside a long native call: the thread may well be alive).
 */
export type Attachment = 'attached' | NonNullable<SampleResult['unreachable']>;

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One inspector session attached to the thread, with everything that belongs to it: its commands
 * in flight, the scripts it was told of, its pause. Closing one cannot touch another.
 */
export class ThreadConnection {
  readonly scriptUrls = new Map<string, string>();
  readonly pauses = new PauseWaiter();
  readonly attached: Promise<Attachment>;
  private readonly session = new inspector.Session();
  private workerSessionId: string | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    threadId: number,
    private readonly onClose: () => void,
  ) {
    this.session.connectToMainThread();
    this.attached = new Promise<Attachment>((resolve) => {
      const timer = setTimeout(() => resolve('timed-out'), ATTACH_TIMEOUT_MS);
      this.session.on('NodeWorker.attachedToWorker', (message) => {
        const { sessionId, workerInfo } = message.params;
        // NodeWorker.enable attaches to every worker thread: let go of the others at once.
        if (!isThreadTitle(workerInfo.title, threadId)) return postQuietly(this.session, 'NodeWorker.detach', { sessionId });
        clearTimeout(timer);
        this.workerSessionId = sessionId;
        resolve('attached');
      });
      this.session.on('NodeWorker.receivedMessageFromWorker', (message) => this.onWorkerMessage(message.params.sessionId, message.params.message));
      // Every worker that exists is announced before enable answers: if ours was not, it is gone.
      // (Resolving twice is a no-op, so a match that came first wins.)
      this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, () => {
        clearTimeout(timer);
        resolve('not-listed');
      });
    });
  }

  /** Sends a `Debugger.*` command to the thread; rejects on error, timeout, or close. */
  send(method: string): Promise<unknown> {
    const workerSessionId = this.workerSessionId;
    if (workerSessionId === null || this.closed) return Promise.reject(new Error(`${method}: not attached`));
    return this.sendTo(workerSessionId, method);
  }

  /**
   * Lets go of the thread without waiting for any answer (the thread may be gone, or its relay
   * busy): resume, disable and detach are queued behind whatever is still in flight, so a pause
   * that has not landed yet is cancelled and one that has is resumed. Commands still awaited on
   * this connection are rejected. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pauses.cancel();
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error('disconnected'));
    }
    this.pending.clear();
    const workerSessionId = this.workerSessionId;
    if (workerSessionId !== null) {
      for (const method of ['Debugger.resume', 'Debugger.disable']) {
        const message = JSON.stringify({ id: this.nextId++, method });
        postQuietly(this.session, 'NodeWorker.sendMessageToWorker', { sessionId: workerSessionId, message });
      }
      postQuietly(this.session, 'NodeWorker.detach', { sessionId: workerSessionId });
    }
    try {
      this.session.disconnect();
    } catch {
      // Already disconnected.
    }
    this.onClose();
  }

  private sendTo(workerSessionId: string, method: string): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      // The thread is gone, or the session was closed: no answer will come.
      const fail = (error: Error): void => {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(error);
      };
      try {
        this.session.post('NodeWorker.sendMessageToWorker', { sessionId: workerSessionId, message: JSON.stringify({ id, method }) }, (error) => {
          if (error) fail(error);
        });
      } catch (error) {
        fail(error as Error);
      }
    });
  }

  private onWorkerMessage(sessionId: string, text: string): void {
    let message: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (message.id !== undefined) {
      const pending = this.pending.get(message.id);
      if (pending === undefined) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error) pending.reject(new Error(message.error.message));
      else pending.resolve(message.result);
    } else if (message.method === 'Debugger.scriptParsed') {
      const { scriptId, url } = message.params as { scriptId: string; url: string };
      if (url) this.scriptUrls.set(scriptId, url);
    } else if (message.method === 'Debugger.paused') {
      // Not ours to keep (a late pause): never leave the thread paused.
      if (!this.pauses.deliver((message.params as { callFrames: InspectorCallFrame[] }).callFrames)) {
        void this.sendTo(sessionId, 'Debugger.resume').catch(() => undefined);
      }
    }
  }
}

export class ThreadStackCapture implements Sampler {
  /** The session of the sample in flight, if any. */
  private connection: ThreadConnection | null = null;

  /**
   * `onSession` is told when this capture is about to connect (true: it may answer false, and
   * nothing connects) and when it disconnects (false).
   */
  constructor(
    readonly threadId: number,
    private readonly onSession: (connected: boolean) => boolean = () => true,
  ) {}

  async sample(stillBlocked: () => boolean): Promise<SampleResult> {
    this.endNow();
    if (!this.onSession(true)) {
      this.onSession(false);
      return { frames: null };
    }
    const connection = new ThreadConnection(this.threadId, () => this.onSession(false));
    this.connection = connection;
    try {
      const attachment = await connection.attached;
      if (attachment !== 'attached') return { frames: null, unreachable: attachment };
      // Enable and pause sent together, as for the main thread: one interrupt, in order.
      const enabled = connection.send('Debugger.enable');
      const callFrames = await pauseAndRead((method) => connection.send(method), connection.pauses, enabled, stillBlocked, () => Promise.resolve());
      return { frames: callFrames === null ? null : toFrames(callFrames, connection.scriptUrls) };
    } finally {
      if (this.connection === connection) this.connection = null;
      connection.close();
    }
  }

  /** Lets go of the thread (see ThreadConnection.close); a sample in flight ends with no stack. */
  end(): Promise<void> {
    this.endNow();
    return Promise.resolve();
  }

  /** The same, for callers that cannot wait (the final flush): close() never waits anyway. */
  endNow(): void {
    const connection = this.connection;
    this.connection = null;
    connection?.close();
  }
}
