import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../src/options';
import { createLiveStats, type FeatureContext, type SlowCall } from '../../../src/feature';
import { startSyncApiTiming } from '../../../src/sync-api';

function context(slowCalls: SlowCall[] = [], slowCallMs = 1_000_000): FeatureContext {
  return {
    options: { ...DEFAULTS, slowCallMs },
    stats: createLiveStats(),
    warn: () => undefined,
    addReportSection: () => undefined,
    markDirty: () => undefined,
    slowCall: (call) => void slowCalls.push(call),
    onStall: () => undefined,
    onBusy: () => undefined,
  };
}

describe('sync-API timing (in process)', () => {
  it('wraps transparently: same results, same errors, same extra properties; counts the calls', () => {
    const originalRealpath = fs.realpathSync;
    const ctx = context();
    const stop = startSyncApiTiming(ctx);
    try {
      expect(fs.realpathSync).not.toBe(originalRealpath);
      expect(fs.realpathSync.native).toBe(originalRealpath.native);
      expect(fs.existsSync('/')).toBe(true);
      expect(() => fs.readFileSync('/definitely/not/here')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      expect(JSON.parse('{"a":[1,2]}')).toEqual({ a: [1, 2] });
      expect(ctx.stats.syncApis.get('fs.existsSync')?.calls).toBe(1);
      expect(ctx.stats.syncApis.get('fs.readFileSync')?.calls).toBe(1);
    } finally {
      stop();
    }
    expect(fs.realpathSync).toBe(originalRealpath);
  });

  it('answers a call-site request once, with the next call however short, then stops asking', () => {
    const calls: SlowCall[] = [];
    const callSiteWanted = new Int32Array(new SharedArrayBuffer(4));
    const stop = startSyncApiTiming({ ...context(calls), callSiteWanted });
    try {
      fs.existsSync('/');
      expect(calls).toEqual([]);
      Atomics.store(callSiteWanted, 0, 1);
      fs.existsSync('/');
      fs.existsSync('/');
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ api: 'fs.existsSync', duringStall: true });
      expect(calls[0]!.stack[0]!.file).toMatch(/feature\.test\.ts$/);
      expect(Atomics.load(callSiteWanted, 0)).toBe(0);
    } finally {
      stop();
    }
  });

  it('stop() leaves alone a function the app wrapped after loopwatch', () => {
    const original = fs.statSync;
    const originalReaddir = fs.readdirSync;
    const stop = startSyncApiTiming(context());
    const ours = fs.statSync;
    const appWrapper = ((...args: Parameters<typeof fs.statSync>) => ours(...args)) as typeof fs.statSync;
    const mutableFs = fs as { statSync: typeof fs.statSync };
    mutableFs.statSync = appWrapper;
    try {
      stop();
      expect(fs.statSync).toBe(appWrapper);
      expect(fs.readdirSync).toBe(originalReaddir);
    } finally {
      mutableFs.statSync = original;
    }
  });

  it('a failure in loopwatch bookkeeping never replaces the call result', () => {
    const ctx: FeatureContext = {
      ...context([], 0),
      slowCall: () => {
        throw new Error('bookkeeping failed');
      },
    };
    const stop = startSyncApiTiming(ctx);
    try {
      expect(JSON.stringify({ ok: true })).toBe('{"ok":true}');
    } finally {
      stop();
    }
  });
});
