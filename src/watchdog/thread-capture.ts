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
 * As for the main thread, the Debugger domain is enabled only during a stall, and the session is
 * disconnected after it: nothing stays attached to the app's threads.
 */
import * as inspector from 'node:inspector';
import type { InspectorCallFrame } from '../stack/frames';
import type { PausedStack } from './capture';
import { PauseWaiter, pauseAndRead } from './pause';

const ATTACH_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 2000;

/** Whether an inspector `workerInfo.title` names the worker thread `threadId` (`[worker 3]`, `[worker 3] name`). */
export function isThreadTitle(title: string, threadId: number): boolean {
  return title === `[worker ${threadId}]` || title.startsWith(`[worker ${threadId}] `);
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Attached {
  session: inspector.Session;
  /** The NodeWorker session id of the thread, or null when the thread is gone. */
  workerSessionId: string | null;
}

export class ThreadStackCapture {
  private attached: Promise<Attached> | null = null;
  /** The session as soon as it exists, so endNow can let go without awaiting anything. */
  private session: inspector.Session | null = null;
  private workerSessionId: string | null = null;
  private readonly scriptUrls = new Map<string, string>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly pauses = new PauseWaiter();
  /** Set when the inspector no longer lists the thread: it exited (terminate() runs no exit handler). */
  gone = false;

  /** `onSession` is told when this capture connects (true) and disconnects (false) its session. */
  constructor(
    readonly threadId: number,
    private readonly onSession: (connected: boolean) => void = () => undefined,
  ) {}

  async sample(stillBlocked: () => boolean): Promise<PausedStack | null> {
    const { session, workerSessionId } = await this.attach();
    if (workerSessionId === null) {
      this.gone = true;
      await this.end();
      return null;
    }
    // Enable and pause sent together, as for the main thread: one interrupt, in order.
    const enabled = this.send(session, workerSessionId, 'Debugger.enable');
    const send = (method: string): Promise<unknown> => this.send(session, workerSessionId, method);
    const callFrames = await pauseAndRead(send, this.pauses, enabled, stillBlocked, () => this.end());
    return callFrames === null ? null : { callFrames, scriptUrls: this.scriptUrls };
  }

  /** Resumes, disables the debugger in the thread, detaches and disconnects. Safe at any time. */
  async end(): Promise<void> {
    const attaching = this.attached;
    if (attaching === null) return;
    this.attached = null;
    this.pauses.cancel();
    this.scriptUrls.clear();
    const { session, workerSessionId } = await attaching;
    if (workerSessionId !== null) {
      await this.send(session, workerSessionId, 'Debugger.resume').catch(() => undefined);
      await this.send(session, workerSessionId, 'Debugger.disable').catch(() => undefined);
    }
    this.disconnect(session);
  }

  /** Synchronous last resort at exit: let go of the thread without waiting for answers. */
  endNow(): void {
    const session = this.session;
    if (this.attached === null || session === null) return;
    this.attached = null;
    this.pauses.cancel();
    // Synchronous: at exit the main thread is parked until the watchdog answers, and a session
    // left attached makes the exiting thread print "Waiting for the debugger to disconnect...".
    if (this.workerSessionId !== null) void this.send(session, this.workerSessionId, 'Debugger.resume').catch(() => undefined);
    this.disconnect(session);
  }

  private attach(): Promise<Attached> {
    if (this.attached !== null) return this.attached;
    const session = new inspector.Session();
    session.connectToMainThread();
    this.session = session;
    this.workerSessionId = null;
    this.onSession(true);
    this.attached = new Promise<Attached>((resolve) => {
      const timer = setTimeout(() => resolve({ session, workerSessionId: null }), ATTACH_TIMEOUT_MS);
      session.on('NodeWorker.attachedToWorker', (message) => {
        const { sessionId, workerInfo } = message.params;
        if (!isThreadTitle(workerInfo.title, this.threadId)) return;
        clearTimeout(timer);
        this.workerSessionId = sessionId;
        resolve({ session, workerSessionId: sessionId });
      });
      session.on('NodeWorker.receivedMessageFromWorker', (message) => this.onWorkerMessage(message.params.sessionId, message.params.message, session));
      // Every worker that exists is announced before enable answers: if ours was not, it is gone.
      // (Resolving twice is a no-op, so a match that came first wins.)
      session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, () => {
        clearTimeout(timer);
        resolve({ session, workerSessionId: null });
      });
    });
    return this.attached;
  }

  private onWorkerMessage(sessionId: string, text: string, session: inspector.Session): void {
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
      if (!this.pauses.deliver((message.params as { callFrames: InspectorCallFrame[] }).callFrames)) void this.send(session, sessionId, 'Debugger.resume').catch(() => undefined);
    }
  }

  private send(session: inspector.Session, workerSessionId: string, method: string): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      session.post('NodeWorker.sendMessageToWorker', { sessionId: workerSessionId, message: JSON.stringify({ id, method }) }, (error) => {
        if (!error) return;
        // The thread is gone, or the session was closed: no answer will come.
        this.pending.delete(id);
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  private disconnect(session: inspector.Session): void {
    if (this.session === session) {
      this.session = null;
      this.workerSessionId = null;
      this.onSession(false);
    }
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error('disconnected'));
    }
    this.pending.clear();
    try {
      session.disconnect();
    } catch {
      // Already disconnected.
    }
  }
}
