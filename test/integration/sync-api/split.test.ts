import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';

describe('a stall with a slow sync call in it, at another line', () => {
  it("counts the call's measured time at the call's line, and the rest at the stall's site", async () => {
    const result = await runFixture('sync-split.js');
    expect(result.code).toBe(0);
    const file = path.join(FIXTURES, 'sync-split.js');
    const cpuLine = blockingLine('sync-split.js', 'CPU LINE');
    const syncLine = blockingLine('sync-split.js', 'SYNC LINE');
    const sites = JSON.stringify(result.report.sites.map((s: any) => `${s.line} ${s.kind} ${s.api} ${s.totalMs}`));
    const cpu = result.report.sites.find((site: any) => site.file === file && site.line === cpuLine);
    const sync = result.report.sites.find((site: any) => site.file === file && site.line === syncLine);
    expect(cpu, sites).toMatchObject({ kind: 'cpu', api: null, count: 1 });
    expect(sync, sites).toMatchObject({ kind: 'sync-api', api: 'child_process.execFileSync', count: 1 });
    expect(sync.totalMs, sites).toBeGreaterThanOrEqual(145);
    // The split adds up to the stall: no time counted twice, none lost.
    const stall = result.report.stalls.find((each: any) => each.site?.line === cpuLine);
    expect(stall.elsewhere).toEqual([expect.objectContaining({ api: 'child_process.execFileSync', site: expect.objectContaining({ line: syncLine }) })]);
    expect(cpu.totalMs + sync.totalMs).toBeCloseTo(stall.durationMs, 0);
    expect(cpu.totalMs, sites).toBeGreaterThanOrEqual(280);
    expect(result.stderr).toMatch(new RegExp(`blocked \\d+ ms at .*sync-split\\.js:${cpuLine} .*; \\d+ ms of it in child_process\\.execFileSync at .*sync-split\\.js:${syncLine}`));
  });
});
