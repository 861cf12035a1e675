import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, readReport, runFixture, waitFor } from '../run-fixture';

const markedLine = (script: string, marker: string): number =>
  fs.readFileSync(path.join(FIXTURES, script), 'utf8').split('\n').findIndex((line) => line.includes(marker)) + 1;

describe('a stall inside a native sync call', () => {
  it('is named while it goes on (hang inside execSync), then attributed to the call', async () => {
    let hangLine = '';
    let hangReport: any = null;
    const result = await runFixture('sync-hang.js', {
      env: { LOOPWATCH_HANG_MS: '600' },
      onSpawn: (child: ChildProcess) => {
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        waitFor(() => /.*still blocked.*/.exec(stderr)?.[0], 10_000, 'the hang line')
          .then((line) => {
            hangLine = line;
            hangReport = readReport(/report written to (\S+)/.exec(line)![1]!);
          })
          .catch(() => undefined);
      },
    });
    expect(hangLine).toMatch(/still blocked inside child_process\.execSync/);
    expect(hangReport.stalls[0]).toMatchObject({ ongoing: true, api: 'child_process.execSync' });
    expect(result.code).toBe(0);
    expect(result.report.sites[0]).toMatchObject({ api: 'child_process.execSync', line: blockingLine('sync-hang.js') });
  });

  it('does not spend the stack-capture budget: a later CPU stall still gets its stack', async () => {
    const result = await runFixture('sync-then-cpu.js', { env: { LOOPWATCH_MAX_CAPTURES_PER_MIN: '1' } });
    expect(result.code).toBe(0);
    const stalls: any[] = result.report.stalls;
    const syncStall = stalls.find((stall) => stall.api === 'child_process.execFileSync');
    expect(syncStall?.site.line, JSON.stringify(stalls)).toBe(markedLine('sync-then-cpu.js', 'SYNC LINE'));
    expect(syncStall.captureMs).toBeUndefined();
    // Told apart by time: the CPU stall comes after the sync call's, and may have no stack.
    const after = (stall: any): boolean => Date.parse(stall.at) > Date.parse(syncStall.at);
    const cpuStall = stalls.find((stall) => stall !== syncStall && after(stall));
    expect(cpuStall, JSON.stringify(stalls)).toBeDefined();
    // A capture attempt spends the budget whether or not a stack comes back (see the watchdog's
    // noStackReason texts). Before the sync call, only a slow start on a loaded machine can stall.
    const spent = (stall: any): boolean => stall.captureMs !== undefined || /^(stack capture failed|the loop turned before)/.test(stall.noStackReason ?? '');
    const spentBefore = stalls.filter((stall) => stall !== syncStall && !after(stall) && spent(stall));
    if (spentBefore.length === 0) {
      // The claim: the one capture allowed is still there for the CPU stall.
      expect(cpuStall).toMatchObject({ site: { line: blockingLine('sync-then-cpu.js') }, captureMs: expect.any(Number) });
    } else {
      // That start-up stall took it: nothing is left for the CPU stall, whatever the sync call did.
      expect(cpuStall.captureMs, JSON.stringify(stalls)).toBeUndefined();
    }
  });

  it('a loop of many short calls, none slow by itself, still names its line', async () => {
    // No call reaches LOOPWATCH_SLOW_CALL_MS: only the call-site request (CALL_SITE_WANTED_INDEX),
    // or a capture that lands between two calls, can name the line.
    const result = await runFixture('sync-many-short.js', { env: { LOOPWATCH_SLOW_CALL_MS: '1000' } });
    expect(result.code).toBe(0);
    const stall = (result.report.stalls as any[]).find((each) => each.durationMs >= 300);
    expect(stall, JSON.stringify(result.report.stalls)).toMatchObject({ site: { line: markedLine('sync-many-short.js', 'READ LINE') } });
    if (stall.api !== null) expect(stall).toMatchObject({ api: 'fs.readFileSync', apiCallsShort: true });
  });
});
