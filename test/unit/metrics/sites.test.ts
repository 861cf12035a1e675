import { describe, expect, it } from 'vitest';
import { OTHER_SITE, SiteLabels, UNATTRIBUTED_SITE } from '../../../src/metrics/sites';

describe('SiteLabels', () => {
  it('keeps the first N distinct sites and folds later ones into other, flagged as overflow', () => {
    const labels = new SiteLabels(2);
    expect(labels.label('a.ts:1')).toEqual({ site: 'a.ts:1', overflow: false });
    expect(labels.label('b.ts:2')).toEqual({ site: 'b.ts:2', overflow: false });
    expect(labels.label('c.ts:3')).toEqual({ site: OTHER_SITE, overflow: true });
    // A known site keeps its own label after the limit is reached.
    expect(labels.label('a.ts:1')).toEqual({ site: 'a.ts:1', overflow: false });
  });

  it('labels a stall without a stack as unattributed, without using up a slot', () => {
    const labels = new SiteLabels(1);
    expect(labels.label(null)).toEqual({ site: UNATTRIBUTED_SITE, overflow: false });
    expect(labels.label('a.ts:1').site).toBe('a.ts:1');
  });
});
