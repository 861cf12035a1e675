import { describe, expect, it } from 'vitest';
import { StallTotals } from '../../../src/otel/stall-totals';

const stall = (durationMs: number, site: string | null, phase: 'startup' | 'runtime' = 'runtime') => ({ durationMs, site, api: null, kind: 'cpu' as const, threadId: 0, phase });

describe('StallTotals', () => {
  it('sums count, time and the longest stall per bounded site', () => {
    const totals = new StallTotals(1);
    totals.add(stall(200, 'a.ts:1'));
    totals.add(stall(500, 'a.ts:1'));
    expect(totals.add(stall(300, 'b.ts:2'))).toEqual({ seconds: 0.3, phase: 'runtime' });
    expect(totals.add(stall(400, 'a.ts:1', 'startup'))).toEqual({ seconds: 0.4, phase: 'startup' });
    expect(Object.fromEntries(totals.bySite)).toEqual({
      'runtime a.ts:1': { site: 'a.ts:1', phase: 'runtime', count: 2, seconds: 0.7, maxSeconds: 0.5 },
      'runtime other': { site: 'other', phase: 'runtime', count: 1, seconds: 0.3, maxSeconds: 0.3 },
      // The same line at start-up is a series of its own.
      'startup a.ts:1': { site: 'a.ts:1', phase: 'startup', count: 1, seconds: 0.4, maxSeconds: 0.4 },
    });
    expect(totals.overflow).toBe(1);
  });

  it('hands pending durations over once, keeping only the latest 1000', () => {
    const totals = new StallTotals(10);
    for (let i = 0; i < 1005; i += 1) totals.keepPending({ seconds: i, phase: 'runtime' });
    const pending = totals.takePending();
    expect(pending).toHaveLength(1000);
    expect(pending[0]).toEqual({ seconds: 5, phase: 'runtime' });
    expect(totals.takePending()).toEqual([]);
  });
});
