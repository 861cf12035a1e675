import { describe, expect, it } from 'vitest';
import { StallTotals } from '../../../src/otel/stall-totals';

const stall = (durationMs: number, site: string | null) => ({ durationMs, site, api: null, kind: 'cpu' as const, threadId: 0 });

describe('StallTotals', () => {
  it('sums count, time and the longest stall per bounded site', () => {
    const totals = new StallTotals(1);
    totals.add(stall(200, 'a.ts:1'));
    totals.add(stall(500, 'a.ts:1'));
    expect(totals.add(stall(300, 'b.ts:2'))).toEqual({ site: 'other', seconds: 0.3 });
    expect(Object.fromEntries(totals.bySite)).toEqual({
      'a.ts:1': { count: 2, seconds: 0.7, maxSeconds: 0.5 },
      other: { count: 1, seconds: 0.3, maxSeconds: 0.3 },
    });
    expect(totals.overflow).toBe(1);
  });

  it('hands pending durations over once, keeping only the latest 1000', () => {
    const totals = new StallTotals(10);
    for (let i = 0; i < 1005; i += 1) totals.keepPending(i);
    const pending = totals.takePending();
    expect(pending).toHaveLength(1000);
    expect(pending[0]).toBe(5);
    expect(totals.takePending()).toEqual([]);
  });
});
