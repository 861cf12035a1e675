/**
 * Debug mode only: the async context of each stall, as a complement to the blocking line (never
 * instead of it). Which async resource's callback was running (a Timeout, an HTTP request, an
 * Immediate...) and where that resource was created, i.e. where the callback was scheduled: the
 * view blocked-at gives.
 *
 * Cost: `async_hooks` with a stack per resource is what made blocked-at 15x slower on HTTP
 * (docs/design.md, "Overhead"), which is why this never runs in production. Promise resources are
 * skipped (the floating detector's promise hooks cover promises, and a stack per promise here
 * would double debug mode's cost); no `destroy` hook (9-11x): contexts live in a WeakMap keyed by
 * the resource object and go with it.
 */
import * as asyncHooks from 'node:async_hooks';
import { captureRaw, readCreation, type RawStack } from './creation';
import type { Frame } from '../stack/frames';
import { nowMs } from '../clock';

export interface CallbackContext {
  /** The async resource type: `Timeout`, `Immediate`, `HTTPINCOMINGMESSAGE`, `FSREQCALLBACK`... */
  type: string;
  durationMs: number;
  /** Where the resource was created (the callback scheduled), 1-based, not yet source-mapped. */
  scheduledAt: Frame[];
  /** nowMs() (../clock.ts) when the callback returned. */
  endedAt: number;
}

export interface StallContextTracker {
  /** The slowest recent callback that could be this stall (ended within `withinMs`), or null. */
  find(durationMs: number, withinMs: number): CallbackContext | null;
  stop(): void;
}

export function trackCallbackContexts(minDurationMs: number): StallContextTracker {
  const created = new WeakMap<object, { type: string; raw: RawStack }>();
  const running: Array<{ resource: object; startedAt: number }> = [];
  const recent: CallbackContext[] = [];
  const RECENT = 8;

  function init(_asyncId: number, type: string, _trigger: number, resource: object): void {
    if (type === 'PROMISE') return;
    try {
      // 12 frames: async_hooks' and the timers' own frames come first.
      created.set(resource, { type, raw: captureRaw(init, 12) });
    } catch {
      // Contained: an exception in an async hook kills the process.
    }
  }
  function before(): void {
    try {
      running.push({ resource: asyncHooks.executionAsyncResource(), startedAt: nowMs() });
    } catch {
      // Contained.
    }
  }
  function after(): void {
    try {
      const entry = running.pop();
      if (entry === undefined) return;
      const endedAt = nowMs();
      const durationMs = endedAt - entry.startedAt;
      if (durationMs < minDurationMs) return;
      const info = created.get(entry.resource);
      if (info === undefined) return;
      // Formatted only for callbacks that were slow: rare by construction.
      recent.push({ type: info.type, durationMs, scheduledAt: readCreation(info.raw, 'chain'), endedAt });
      if (recent.length > RECENT) recent.shift();
    } catch {
      // Contained.
    }
  }
  const hook = asyncHooks.createHook({ init, before, after }).enable();

  return {
    find(durationMs, withinMs) {
      const now = nowMs();
      let best: CallbackContext | null = null;
      for (const context of recent) {
        if (now - context.endedAt > withinMs) continue;
        // A callback shorter than half the stall did not cause it.
        if (context.durationMs < durationMs / 2) continue;
        if (best === null || context.durationMs > best.durationMs) best = context;
      }
      return best;
    },
    stop() {
      hook.disable();
    },
  };
}
