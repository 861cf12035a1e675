import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { blockingLine, readReport, runFixture } from '../run-fixture';

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
      onSpawn: (child: ChildProcess) => {
        // many-stalls.js blocks 130 ms, 40 times, 15 ms apart, from 50 ms after start.
        setTimeout(() => child.kill('SIGTERM'), 1500);
      },
    });
    expect(result.signal).toBe('SIGTERM');
    const report = readReport(result.reportPath);
    expect(report).not.toBeNull();
    expect(report.schema).toBe('loopwatch/report@1');
    expect(report.summary.stalls).toBeGreaterThanOrEqual(1);
    expect(report.summary.stalls).toBeLessThan(40);
  });
});
