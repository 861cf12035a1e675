import { describe, expect, it } from 'vitest';
import { blockingLine, readReport, runFixture, signalWhenReport } from '../run-fixture';

describe('faults', () => {
  it('a very deep stack: bounded in the report, the blocking line still named', async () => {
    const result = await runFixture('deep-stack.js');
    expect(result.code).toBe(0);
    const site = result.report.sites[0];
    expect(site.line).toBe(blockingLine('deep-stack.js'));
    expect(site.stack.length).toBeLessThanOrEqual(33);
    expect(result.report.stalls[0].stack.length).toBeLessThanOrEqual(33);
  });

  it('SIGTERM in the middle of a stall storm: dies of it at once, and the report on disk is valid JSON', async () => {
    const result = await runFixture('many-stalls.js', {
      // many-stalls.js blocks 130 ms, 40 times, 15 ms apart, from 50 ms after start. Signalled once
      // the report on disk holds 3 stalls (at most one of them the app's slow start on a loaded
      // machine): the storm is under way, and lasts seconds more. A fixed delay after spawn could
      // come before the first stall was written.
      onSpawn: (child, reportPath) => signalWhenReport(child, reportPath, (report) => report.summary.stalls >= 3),
    });
    expect(result.signal).toBe('SIGTERM');
    const report = readReport(result.reportPath);
    expect(report).not.toBeNull();
    expect(report.schema).toBe('loopwatch/report@1');
    expect(report.summary.stalls).toBeGreaterThanOrEqual(1);
    expect(report.summary.stalls).toBeLessThan(40);
  });
});
