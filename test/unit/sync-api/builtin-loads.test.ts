import { describe, expect, it } from 'vitest';
import { whenBuiltinsLoad } from '../../../src/sync-api/builtin-loads';

/** Node's list of what it loaded (not in @types/node). */
const loadList = (): string[] => (process as unknown as { moduleLoadList: string[] }).moduleLoadList;

/** Two modules vitest's own process has not loaded (no side effects, no warning). */
const CANDIDATES = ['trace_events', 'dgram', 'http2', 'stream/consumers', 'dns/promises', 'readline/promises', 'tls', 'v8', 'vm'];
const LATER = CANDIDATES.filter((id) => !loadList().includes(`NativeModule ${id}`)).slice(0, 2);

describe('whenBuiltinsLoad', () => {
  it("tells a module's load before require returns its exports, once, and leaves process.moduleLoadList as it was", () => {
    const list = loadList();
    const prototype = Object.getPrototypeOf(list) as object;
    expect(LATER).toHaveLength(2);
    const [first, second] = LATER as [string, string];
    const seen: Array<[string, boolean]> = [];
    const stop = whenBuiltinsLoad(LATER, (id) => {
      // The module has run: its exports are complete, and whoever required it has not got them yet.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exports = require(`node:${id}`) as Record<string, unknown>;
      exports.__loopwatchTest = true;
      seen.push([id, Array.isArray(loadList())]);
    });
    try {
      expect(Object.getPrototypeOf(list)).not.toBe(prototype);
      const length = list.length;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exports = require(`node:${first}`) as Record<string, unknown>;
      expect(exports.__loopwatchTest).toBe(true);
      expect(seen).toEqual([[first, true]]);
      // Every entry Node pushed is there, in order, as plain elements.
      expect(list.length).toBeGreaterThan(length);
      expect(list).toContain(`NativeModule ${first}`);
      expect(list[list.length - 1]).toEqual(expect.any(String));
      expect(Array.isArray(list)).toBe(true);
      expect(list instanceof Array).toBe(true);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect((require(second) as Record<string, unknown>).__loopwatchTest).toBe(true);
      expect(seen.map(([id]) => id)).toEqual(LATER);
      // Nothing left to wait for: the list is plain again.
      expect(Object.getPrototypeOf(list)).toBe(prototype);
    } finally {
      stop();
    }
    expect(Object.getPrototypeOf(list)).toBe(prototype);
  });

  it('tells modules already loaded at once, and stop() puts the list back', () => {
    const list = loadList();
    const prototype = Object.getPrototypeOf(list) as object;
    const seen: string[] = [];
    const stop = whenBuiltinsLoad(['fs', 'not-a-module'], (id) => void seen.push(id));
    expect(seen).toEqual(['fs']);
    expect(Object.getPrototypeOf(list)).not.toBe(prototype);
    stop();
    expect(Object.getPrototypeOf(list)).toBe(prototype);
  });

  it('an onLoad that throws never reaches the module loader', () => {
    const stop = whenBuiltinsLoad(['fs'], () => {
      throw new Error('boom');
    });
    stop();
  });
});
