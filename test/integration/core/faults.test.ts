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

  it('SIGTERM in the middle of a stall (while its stack is being captured): dies of SIGTERM, the report on disk is valid JSON', async () => {
    const result = await runFixture('signal-wait.js', {
      onSpawn: (child: ChildProcess) => {
        // signal-wait.js blocks 600 ms from 250 ms after start; the watchdog captures ~110 ms in.
        setTimeout(() => child.kill('SIGTERM'), 250 + 300);
      },
    });
    expect(result.signal).toBe('SIGTERM');
    const report = readReport(result.reportPath);
    expect(report).not.toBeNull();
    expect(report.schema).toBe('loopwatch/report@1');
    expect(report.summary.stalls).toBeGreaterThanOrEqual(1);
    expect(report.sites[0].line).toBe(blockingLine('signal-wait.js'));
  });
});
