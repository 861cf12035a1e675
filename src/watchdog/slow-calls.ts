/**
 * The last few slow sync calls of every thread, kept so a stall measured later can be matched with
 * the call that caused it: the call's own stack names the line, where a pause lands too late.
 */
import type { SlowCall } from '../feature';

export class RecentSlowCalls {
  private readonly calls: Array<{ threadId: number; call: SlowCall }> = [];

  constructor(private readonly capacity: number) {}

  add(threadId: number, call: SlowCall): void {
    this.calls.push({ threadId, call });
    if (this.calls.length > this.capacity) this.calls.shift();
  }

  /** The calls of this thread that ended inside [fromNs, toNs]: they happened during the stall. */
  endedWithin(threadId: number, fromNs: bigint, toNs: bigint): SlowCall[] {
    const found: SlowCall[] = [];
    for (const each of this.calls) {
      const end = BigInt(each.call.endNs);
      if (each.threadId === threadId && end >= fromNs && end <= toNs) found.push(each.call);
    }
    return found;
  }
}
