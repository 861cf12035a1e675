import { describe, expect, it } from 'vitest';
import { REGISTRY_BYTES, REGISTRY_SLOTS, slotBeatIndex, slotIdIndex } from '../../../src/watchdog/shared';

describe('the worker-thread registry layout', () => {
  it('gives every slot its own threadId and heartbeat bytes, all inside the buffer', () => {
    const used = new Set<number>();
    const claim = (from: number, length: number) => {
      for (let byte = from; byte < from + length; byte++) {
        expect(used.has(byte), `byte ${byte} used twice`).toBe(false);
        used.add(byte);
      }
    };
    for (let slot = 0; slot < REGISTRY_SLOTS; slot++) {
      claim(slotIdIndex(slot) * 4, 4);
      claim(slotBeatIndex(slot) * 8, 8);
    }
    expect(Math.max(...used)).toBeLessThan(REGISTRY_BYTES);
  });

  it('a claimed slot is seen by another view of the same buffer, as the watchdog sees it', () => {
    const registry = new SharedArrayBuffer(REGISTRY_BYTES);
    const ids = new Int32Array(registry);
    const beats = new BigInt64Array(registry);
    Atomics.store(beats, slotBeatIndex(3), 123n);
    expect(Atomics.compareExchange(ids, slotIdIndex(3), 0, 9)).toBe(0);
    // A second thread racing for the same slot loses and moves on.
    expect(Atomics.compareExchange(ids, slotIdIndex(3), 0, 10)).toBe(9);
    expect(new Int32Array(registry)[slotIdIndex(3)]).toBe(9);
    expect(new BigInt64Array(registry)[slotBeatIndex(3)]).toBe(123n);
  });
});
