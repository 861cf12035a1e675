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
import { builtinSyncTargets, DEFERRED_MODULES, syncTargets, type Target } from './targets';
import { wrapConstructor, wrapNative, wrapSync, type ApiCounter, type WrapState } from './wrap';
import { builtinNativeTargets, nativeTargets, sizeFloor, type NativeTarget } from './natives';
import { callerStack, isModuleLoading } from './call-site';
import { whenBuiltinsLoad } from './builtin-loads';
import { nowNs } from '../clock';

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
      const endNs = nowNs();
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
      const request = context.currentRequest?.();
      const trace = context.activeSpan?.();
      context.slowCall({ api, durationMs, endNs: String(endNs), stack, ...(request !== undefined ? { request } : {}), ...(trace !== undefined ? { trace } : {}) });
      context.markDirty();
    },
  };

  const names: string[] = [];
  const wrapSyncTarget = (target: Target): void => {
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
  };
  for (const target of syncTargets(fs)) wrapSyncTarget(target);

  // Native calls that are not `*Sync` APIs (natives.ts). A function two owners share gets one wrapper.
  const floor = sizeFloor(options.slowCallMs);
  const wrappers = new Map<unknown, unknown>();
  const wrapTarget = (target: NativeTarget): void => {
    const owner = target.owner as Record<string, unknown>;
    const original = owner[target.key];
    if (typeof original !== 'function') return;
    let wrapped = wrappers.get(original);
    if (wrapped === undefined) {
      const counter: ApiCounter = { calls: 0, totalMs: 0, slowCalls: 0, maxMs: 0 };
      const apiNumber = names.length + 1;
      wrapped =
        target.construct === true
          ? wrapConstructor(original as new (...args: unknown[]) => object, target.api, counter, options.slowCallMs, state, apiNumber)
          : wrapNative(original as AnyFunction, target.api, counter, options.slowCallMs, state, apiNumber, target.size, floor);
      if (!replace(owner, target.key, wrapped)) return;
      wrappers.set(original, wrapped);
      stats.syncApis.set(target.api, counter);
      names.push(target.api);
    } else if (!replace(owner, target.key, wrapped)) {
      return;
    }
    const ours = wrapped;
    restores.push(() => owner[target.key] === ours && replace(owner, target.key, original));
    if (target.construct === true) {
      // `new WebAssembly.Module(bytes).constructor === WebAssembly.Module`, as before.
      const prototype = (original as { prototype?: Record<string, unknown> }).prototype;
      if (prototype?.constructor === original && replace(prototype, 'constructor', ours)) {
        restores.push(() => prototype.constructor === ours && replace(prototype, 'constructor', original));
      }
    }
  };
  for (const target of nativeTargets()) wrapTarget(target);
  // ESM named imports (`import { readFileSync } from 'node:fs'`) are separate live bindings.
  Module.syncBuiltinESMExports();
  context.declareSyncApis?.(names);

  // crypto, zlib, child_process and v8: when something loads them, before it gets their exports
  // (builtin-loads.ts); those already loaded, now. Not loaded here: most processes never use them,
  // and loading them cost every process 4-8 ms of start-up (docs/benchmarks.md).
  let stopped = false;
  const stopWaiting = whenBuiltinsLoad(DEFERRED_MODULES, (id) => {
    if (stopped) return;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exports = require(`node:${id}`) as Record<string, unknown>;
      for (const target of builtinSyncTargets(id, exports)) wrapSyncTarget(target);
      for (const target of builtinNativeTargets(id, exports)) wrapTarget(target);
      Module.syncBuiltinESMExports();
      context.declareSyncApis?.(names);
    } catch (error) {
      context.warn('LOOPWATCH_INTERNAL', `sync-api timing could not wrap node:${id} (${(error as Error).message}); its calls are not timed`);
    }
  });

  context.addReportSection('syncApis', () => snapshot(stats.syncApis));
  context.markDirty();
  return () => {
    stopped = true;
    stopWaiting();
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
