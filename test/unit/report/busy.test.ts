import { describe, expect, it } from 'vitest';
import { BusyAggregate } from '../../../src/report/busy';
import type { Frame } from '../../../src/stack/frames';

const at = (line: number): Frame => ({ file: '/app/a.js', line, column: 1, function: `f${line}` });

describe('BusyAggregate', () => {
  it("splits a second's busy time evenly over its samples, by site; samples with no site are unattributed", () => {
    const busy = new BusyAggregate(10);
    const shares = busy.addStep(900, [
      { site: at(1), stack: [at(1)] },
      { site: at(1), stack: [at(1)] },
      { site: at(2), stack: [at(2)] },
      { site: null, stack: [] },
    ]);
    expect(shares).toEqual([
      { site: at(1), ms: 450 },
      { site: at(2), ms: 225 },
      { site: null, ms: 225 },
    ]);
    busy.addStep(500, []);
    const section = busy.section(80, 5000);
    expect(section).toMatchObject({ totalMs: 1400, unattributedMs: 725, otherMs: 0 });
    expect(section.sites.map((site) => [site.line, site.busyMs, site.samples])).toEqual([
      [1, 450, 2],
      [2, 225, 1],
    ]);
  });

  it('keeps at most maxSites sites: the least busy one is folded into otherMs', () => {
    const busy = new BusyAggregate(2);
    busy.addStep(300, [{ site: at(1), stack: [] }]);
    busy.addStep(100, [{ site: at(2), stack: [] }]);
    busy.addStep(200, [{ site: at(3), stack: [] }]);
    busy.addStep(50, [{ site: at(4), stack: [] }]);
    const section = busy.section(80, 5000);
    expect(section.sites.map((site) => site.line)).toEqual([1, 3]);
    expect(section.otherMs).toBe(150);
    expect(section.totalMs).toBe(650);
  });
});
