/**
 * Times the blocking synchronous APIs (fs/crypto/zlib/child_process `*Sync`, JSON.parse/stringify)
 * with exact durations, and tells the watchdog about slow ones with their call site. This closes the
 * inspector's blind spot: a pause cannot land inside a native call, so a stall in `pbkdf2Sync` or
 * `JSON.parse` would otherwise be reported late or at the wrong line.
 */
import Module from 'node:module';
// The real exports object, not an `import * as` copy (see targets.ts).
import fs from 'node:fs';
import type { Feature } from '../feature';
import { syncTargets } from './targets';
import { wrapSync, type ApiCounter, type WrapState } from './wrap';
import { callerStack, isModuleLoading } from './call-site';

type AnyFunction = (...args: unknown[]) => unknown;

export const startSyncApiTiming: Feature = (context) => {
  const { options, stats } = context;
  if (!options.syncApis) return () => undefined;
  const restores: Array<() => void> = [];
  const state: WrapState = {
    depth: 0,
    slot: context.syncCallSlot ?? null,
    siteWanted: context.callSiteWanted ?? null,
    onSlowCall(api, durationMs, wrapper, duringStall = false) {
      const endNs = process.hrtime.bigint();
      const stack = callerStack(wrapper);
      if (duringStall) {
        // Asked for by the watchdog: the stall's line, even when the module loader made the call
        // (its stack goes on down to the app's require).
        context.slowCall({ api, durationMs, endNs: String(endNs), stack, duringStall: true });
        return;
      }
      const counter = stats.syncApis.get(api);
      if (isModuleLoading(stack)) {
        // The module loader reads through the same fs exports: a slow module read is not the app's
        // call, so it is neither flagged nor counted. (Fast loader reads are counted: telling them
        // apart would cost a stack per call.)
        if (counter !== undefined) {
          counter.calls -= 1;
          counter.totalMs -= durationMs;
          counter.slowCalls -= 1;
        }
        return;
      }
      context.slowCall({ api, durationMs, endNs: String(endNs), stack });
      context.markDirty();
    },
  };

  const names: string[] = [];
  for (const target of syncTargets(fs)) {
    for (const name of target.names) {
      const original = target.exports[name];
      if (typeof original !== 'function') continue;
      const api = `${target.module}.${name}`;
      const counter: ApiCounter = { calls: 0, totalMs: 0, slowCalls: 0, maxMs: 0 };
      stats.syncApis.set(api, counter);
      const apiNumber = names.length + 1;
      const wrapped = wrapSync(original as AnyFunction, api, counter, options.slowCallMs, state, target.syncWithoutCallback?.includes(name) ?? false, apiNumber);
      if (!replace(target.exports, name, wrapped)) continue;
      names.push(api);
      // Only while still ours: an app that wrapped it after us keeps its wrapper.
      restores.push(() => target.exports[name] === wrapped && replace(target.exports, name, original));
    }
  }
  // ESM named imports (`import { readFileSync } from 'node:fs'`) are separate live bindings.
  Module.syncBuiltinESMExports();
  context.declareSyncApis?.(names);

  context.addReportSection('syncApis', () => snapshot(stats.syncApis));
  context.markDirty();
  return () => {
    for (const restore of [...restores].reverse()) restore();
    Module.syncBuiltinESMExports();
  };
};

function replace(exports: Record<string, unknown>, name: string, value: unknown): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(exports, name);
  if (descriptor === undefined || !(descriptor.writable || descriptor.set) || !descriptor.configurable) {
    if (descriptor?.writable !== true) return false;
  }
  try {
    exports[name] = value;
    return exports[name] === value;
  } catch {
    return false;
  }
}

/** Only APIs that were called, rounded: the report stays small. */
function snapshot(apis: ReadonlyMap<string, ApiCounter>): Record<string, ApiCounter> {
  const result: Record<string, ApiCounter> = {};
  for (const [api, counter] of apis) {
    if (counter.calls === 0) continue;
    result[api] = {
      calls: counter.calls,
      totalMs: Math.round(counter.totalMs * 10) / 10,
      slowCalls: counter.slowCalls,
      maxMs: Math.round(counter.maxMs * 10) / 10,
    };
  }
  return result;
}
