import { describe, expect, it } from 'vitest';
import { Gauge, Registry } from 'prom-client';
import { collectFromWorkers, isPushMessage, labelWorker, MESSAGE_KEY, mergePush } from '../../../src/metrics/cluster';

const family = (name: string, values: Array<{ labels: Record<string, string>; value: number }>): any => ({ name, help: 'h', type: 'gauge', aggregator: 'sum', values });

describe('mergePush', () => {
  it('keeps the worst delay between two scrapes, and the latest of everything else', () => {
    const before = [family('loopwatch_eventloop_delay_max_seconds', [{ labels: {}, value: 1.5 }]), family('loopwatch_eventloop_utilization_ratio', [{ labels: {}, value: 0.9 }])];
    const after = [family('loopwatch_eventloop_delay_max_seconds', [{ labels: {}, value: 0.01 }]), family('loopwatch_eventloop_utilization_ratio', [{ labels: {}, value: 0.1 }])];
    const merged = mergePush(before, after);
    expect(merged[0]!.values[0]!.value).toBe(1.5);
    expect(merged[1]!.values[0]!.value).toBe(0.1);
  });

  it('compares percentiles label by label', () => {
    const before = [family('loopwatch_eventloop_delay_seconds', [{ labels: { percentile: '99' }, value: 0.5 }, { labels: { percentile: '50' }, value: 0.001 }])];
    const after = [family('loopwatch_eventloop_delay_seconds', [{ labels: { percentile: '99' }, value: 0.2 }, { labels: { percentile: '50' }, value: 0.002 }])];
    expect(mergePush(before, after)[0]!.values.map((v: any) => v.value)).toEqual([0.5, 0.002]);
  });
});

describe('labelWorker', () => {
  it('adds the worker label to every series and never aggregates across workers', () => {
    const [labelled] = labelWorker([family('loopwatch_eventloop_stalls_total', [{ labels: { site: 'a.ts:1' }, value: 3 }])], '2');
    expect(labelled!.values).toEqual([{ labels: { site: 'a.ts:1', worker: '2' }, value: 3 }]);
    expect(labelled!.aggregator).toBe('first');
  });
});

describe('isPushMessage', () => {
  it("recognises loopwatch's messages by their prefixed key only", () => {
    expect(isPushMessage({ [MESSAGE_KEY]: 'metrics@1', families: [] })).toBe(true);
    expect(isPushMessage({ type: 'metrics' })).toBe(false);
    expect(isPushMessage('metrics@1')).toBe(false);
    expect(isPushMessage(null)).toBe(false);
  });
});

describe('collectFromWorkers', () => {
  it('collects each metric once per scrape when no worker has pushed (the utilization gauge measures since its last collection)', async () => {
    const own = new Registry();
    let collections = 0;
    own.registerMetric(new Gauge({ name: 'collected', help: 'h', registers: [], collect: () => void (collections += 1) }));
    const collector = collectFromWorkers(own);
    try {
      await collector.source.metrics();
      await collector.source.metrics();
      expect(collections).toBe(2);
    } finally {
      collector.stop();
    }
  });
});
