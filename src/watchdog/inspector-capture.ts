/**
 * Captures the blocked main thread's stack from the watchdog worker through an in-process inspector
 * session (`connectToMainThread`: no port is opened). The Debugger domain is enabled only while a
 * stall lasts: left enabled it makes promise-heavy code 7-9x slower (docs/design.md, "Stall detection and stack capture"), and a
 * session still connected at exit prints "Waiting for the debugger to disconnect...".
 */
import * as inspector from 'node:inspector';
import { toFrames } from '../stack/frames';
import { PauseWaiter, pauseAndRead } from './inspector-pause';
import type { SampleResult, Sampler } from './watched';

const COMMAND_TIMEOUT_MS = 2000;

export class StackCapture implements Sampler {
  private session: inspector.Session | null = null;
  private readonly scriptUrls = new Map<string, string>();
  private readonly pauses = new PauseWaiter();

  /** Pauses the main thread, reads its stack, resumes it (see pauseAndRead). */
  async sample(stillBlocked: () => boolean): Promise<SampleResult> {
    const { session, enabled } = this.connect();
    const callFrames = await pauseAndRead((method) => post(session, method), this.pauses, enabled, stillBlocked, () => this.end());
    return { frames: callFrames === null ? null : toFrames(callFrames, this.scriptUrls) };
  }

  /** Disables the debugger and disconnects; safe to call at any time, including mid-sample. */
  async end(): Promise<void> {
    const session = this.session;
    if (session === null) return;
    this.session = null;
    this.pauses.cancel();
    this.scriptUrls.clear();
    await post(session, 'Debugger.resume').catch(() => undefined);
    await post(session, 'Debugger.disable').catch(() => undefined);
    disconnectQuietly(session);
  }

  /** Synchronous last resort at exit: no awaiting, just let go of the main thread. */
  endNow(): void {
    const session = this.session;
    if (session === null) return;
    this.session = null;
    this.pauses.cancel();
    postQuietly(session, 'Debugger.resume');
    disconnectQuietly(session);
  }

  private connect(): { session: inspector.Session; enabled: Promise<void> } {
    if (this.session !== null) return { session: this.session, enabled: Promise.resolve() };
    const session = new inspector.Session();
    session.connectToMainThread();
    session.on('Debugger.scriptParsed', (message) => {
      const { scriptId, url } = message.params;
      if (url) this.scriptUrls.set(scriptId, url);
    });
    session.on('Debugger.paused', (message) => {
      // Not ours to keep (a late pause): never leave the app paused. It can arrive after end()
      // disconnected the session, which resumed the thread already.
      if (!this.pauses.deliver(message.params.callFrames)) postQuietly(session, 'Debugger.resume');
    });
    this.session = session;
    return { session, enabled: post(session, 'Debugger.enable') };
  }
}

function post(session: inspector.Session, method: string, params?: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${method} timed out`)), COMMAND_TIMEOUT_MS);
    try {
      session.post(method, params ?? {}, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      });
    } catch (error) {
      // Disconnected already: no answer will come.
      clearTimeout(timer);
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/**
 * A command nobody waits for the answer of. Never throws: it runs in inspector event listeners,
 * and a notification still queued when its session disconnected is delivered all the same; Node
 * turns a listener's throw into a process warning on the app's stderr.
 */
export function postQuietly(session: inspector.Session, method: string, params: object = {}): void {
  try {
    session.post(method, params, () => undefined);
  } catch {
    // Disconnected: the session's end already let go of the thread.
  }
}

function disconnectQuietly(session: inspector.Session): void {
  try {
    session.disconnect();
  } catch {
    // Already disconnected.
  }
}
