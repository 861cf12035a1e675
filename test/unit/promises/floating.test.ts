/**
 * The detector in-process. Collection is forced with V8's gc (exposed at run time), and the exit
 * path is the detector's own `sweep()`.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startFloatingDetector, type FloatingDetector } from '../../../src/promises/floating';
import type { Frame } from '../../../src/stack/frames';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const hops = async (count = 3) => {
  // eslint-disable-next-line @typescript-eslint/await-thenable -- a microtask hop, nothing more
  for (let i = 0; i < count; i++) await null;
};
/**
 * The caller's line as V8 numbers it (vitest maps `error.stack` through its source maps, the
 * detector reports raw call sites; the agent maps them later).
 */
function callerLine(): number {
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, callSites) => callSites;
  try {
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, callerLine);
    return holder.stack![0]!.getLineNumber()!;
  } finally {
    Error.prepareStackTrace = original;
  }
}

describe('floating promise detector', () => {
  let detector: FloatingDetector | null = null;
  let found: Frame[][] = [];
  const start = (sample = 1) => {
    found = [];
    detector = startFloatingDetector({ sample, onFloating: (frames) => found.push(frames) });
    return detector;
  };
  /** Findings made by this file (vitest's own promises are collected during these tests too). */
  const mine = () => found.filter((frames) => frames[0]?.file === fileURLToPath(import.meta.url));
  afterEach(() => {
    detector?.stop();
    detector = null;
  });

  async function work(): Promise<number> {
    // Awaiting a non-promise: V8 makes a promise whose parent is work()'s own promise, which must
    // not count as someone observing it.
    // eslint-disable-next-line @typescript-eslint/await-thenable
    await null;
    return 1;
  }

  it('finds a settled, never-observed promise at exit, at the line that created it', async () => {
    const d = start();
    // One statement, one line (vitest's transform keeps statements, not line breaks).
    const created = [callerLine(), work()] as const;
    await hops(5);
    d.sweep();
    expect(mine()).toHaveLength(1);
    expect(mine()[0]![0]!.line).toBe(created[0]);
  });

  it('finds the right line when the app has promise hooks of its own (Node then dispatches to ours)', async () => {
    const stopAppHook = v8.promiseHooks.onInit(() => undefined) as () => void;
    try {
      const d = start();
      const created = [callerLine(), work()] as const;
      await hops(5);
      d.sweep();
      expect(mine().map((frames) => frames[0]!.line)).toEqual([created[0]]);
    } finally {
      stopAppHook();
    }
  });

  it('finds one that is garbage-collected unobserved', async () => {
    start();
    (() => {
      work(); // eslint-disable-line @typescript-eslint/no-floating-promises
    })();
    await hops(5);
    for (let round = 0; round < 20 && mine().length === 0; round++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(mine()).toHaveLength(1);
  });

  it('stays silent for awaited, chained, combined, returned and late-observed promises', async () => {
    const d = start();
    await work();
    await work().then((n) => n + 1);
    await Promise.all([work(), work()]);
    work().catch(() => undefined);
    const returned = async () => work();
    await returned();
    const late = work();
    await hops(5);
    await late;
    await hops(5);
    d.sweep();
    expect(mine()).toEqual([]);
  });

  const slow = async (ms: number) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  };

  it('finds a dropped promise that was still pending at the check, once it settled', async () => {
    const d = start();
    const created = [callerLine(), slow(20)] as const;
    await hops(5);
    d.sweep(); // still pending: not yet a finding
    expect(mine()).toEqual([]);
    await created[1];
    // Awaiting it above observed it; a second, truly dropped one:
    const dropped = [callerLine(), slow(20)] as const;
    await new Promise((resolve) => setTimeout(resolve, 40));
    d.sweep();
    expect(mine().map((frames) => frames[0]!.line)).toEqual([dropped[0]]);
  });

  it('stays silent for a pending promise someone is already waiting on', async () => {
    const d = start();
    const pending = slow(20);
    const waiter = (async () => pending)();
    await hops(5);
    await waiter;
    await hops(5);
    d.sweep();
    expect(mine()).toEqual([]);
  });

  it('reports a dropped .then result, not the promise it chains from', async () => {
    const d = start();
    const created = [callerLine(), work().then((n) => n + 1)] as const;
    await hops(5);
    d.sweep();
    expect(mine().map((frames) => frames[0]!.line)).toEqual([created[0]]);
  });

  it('stays silent for a dropped .then(onFulfilled, onRejected): its rejection handler handles the chain', async () => {
    const d = start();
    work().then(
      (n) => n + 1,
      () => undefined,
    );
    await hops(5);
    d.sweep();
    expect(mine()).toEqual([]);
  });

  it('still reports a dropped .finally result (finally passes handlers of its own)', async () => {
    const d = start();
    const created = [callerLine(), work().finally(() => undefined)] as const;
    await hops(5);
    d.sweep();
    expect(mine().map((frames) => frames[0]!.line)).toEqual([created[0]]);
  });

  it('leaves Promise.prototype.then as it found it, and looks like it while running', () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = Promise.prototype.then;
    const d = start();
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const during = Promise.prototype.then;
    expect([during.name, during.length, Object.getOwnPropertyDescriptor(Promise.prototype, 'then')!.enumerable]).toEqual(['then', 2, false]);
    d.stop();
    detector = null;
    // eslint-disable-next-line @typescript-eslint/unbound-method
    expect(Promise.prototype.then).toBe(original);
  });

  it('ignores Promise subclasses (Node internals use them)', async () => {
    const d = start();
    class Special<T> extends Promise<T> {}
    Special.resolve(1); // eslint-disable-line @typescript-eslint/no-floating-promises
    await hops(5);
    d.sweep();
    expect(mine()).toEqual([]);
  });

  it('samples 1 in N', async () => {
    const d = start(1000);
    for (let i = 0; i < 10; i++) work(); // eslint-disable-line @typescript-eslint/no-floating-promises
    await hops(5);
    d.sweep();
    expect(mine().length).toBeLessThanOrEqual(1);
  });

  it('knows the creation site of a tracked promise (for rejections in debug mode)', () => {
    const d = start();
    const [line, promise] = [callerLine(), work()] as const;
    expect(d.creationOf(promise)?.[0]?.line).toBe(line);
    return promise;
  });
});
