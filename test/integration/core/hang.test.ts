import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, readReport, runFixture, waitFor } from '../run-fixture';

describe('hang dump', () => {
  it('writes the report with the live stack while the process is still stuck', async () => {
    let hangReport: any = null;
    let stderrAtHang = '';
    let stillRunningAtHang: boolean | null = null;
    const result = await runFixture('infinite-loop.js', {
      env: { LOOPWATCH_HANG_MS: '600' },
      timeoutMs: 15_000,
      onSpawn: (child: ChildProcess) => {
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        waitFor(() => {
          const match = /report written to (\S+)/.exec(stderr);
          return match ? readReport(match[1]!) : null;
        }, 15_000, 'the hang report')
          .then((report: any) => {
            hangReport = report;
            stderrAtHang = stderr;
            stillRunningAtHang = child.exitCode === null && child.signalCode === null;
          })
          .catch(() => undefined)
          // SIGTERM, not SIGKILL: a hung process must stay killable by SIGTERM under loopwatch.
          .finally(() => child.kill('SIGTERM'));
      },
    });
    expect(stillRunningAtHang).toBe(true);
    expect(result.signal).toBe('SIGTERM');
    expect(hangReport?.reason).toBe('hang');
    const stall = hangReport.stalls[0];
    expect(stall.ongoing).toBe(true);
    expect(stall.durationMs).toBeGreaterThanOrEqual(600);
    expect(stall.site).toMatchObject({ file: path.join(FIXTURES, 'infinite-loop.js'), line: blockingLine('infinite-loop.js'), function: 'waitForever' });
    expect(stderrAtHang).toMatch(/loopwatch: event loop blocked for \d+ ms and still blocked at .*infinite-loop\.js:\d+ \(waitForever\)/);
  });
});
