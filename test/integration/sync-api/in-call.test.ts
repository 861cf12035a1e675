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
    const syncStall = stalls.find((stall) => stall.api === 'crypto.pbkdf2Sync');
    expect(syncStall.site.line).toBe(markedLine('sync-then-cpu.js', 'SYNC LINE'));
    // The only capture allowed goes to the CPU stall, unless a stall of some other cause (a slow
    // start-up on a cold machine) took it first: never to the stall inside pbkdf2Sync.
    const captured = stalls.filter((stall) => stall.captureMs !== undefined);
    expect(captured).toHaveLength(1);
    expect(captured[0].api).toBeNull();
    const cpuStall = stalls.find((stall) => stall.site?.line === blockingLine('sync-then-cpu.js'));
    const otherCaptured = captured[0] !== cpuStall;
    if (!otherCaptured) expect(cpuStall.captureMs).toBeDefined();
    else expect(stalls.length).toBeGreaterThanOrEqual(3);
  });
});
