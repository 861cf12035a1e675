/**
 * LOOPWATCH_IGNORE_SITES, run for real: a stall at an ignored line is counted as ignored and
 * nowhere else (no log line, no site, no stall), the other line is reported as usual, a bad entry
 * is one warning, and the app's output and exit code are those of a run without loopwatch.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';
import { loopwatchWarnings } from '../faults/env-matrix';

const FIXTURE = 'ignore-sites.js';
const IGNORED = blockingLine(FIXTURE, 'IGNORED LINE');
const BLOCKING = blockingLine(FIXTURE);

describe('LOOPWATCH_IGNORE_SITES', () => {
  it('leaves out the ignored line everywhere but the `ignored` section; the app is unchanged', async () => {
    const [without, withAgent] = await Promise.all([
      runFixture(FIXTURE, { withoutAgent: true }),
      // A glob with a line (the tests run from the repository root), and an entry naming no file.
      runFixture(FIXTURE, { env: { LOOPWATCH_IGNORE_SITES: `test/**/${FIXTURE}:${IGNORED}, :3` } }),
    ]);
    expect(without.code).toBe(5);
    expect(withAgent.signal).toBeNull();
    expect(withAgent.code).toBe(without.code);
    expect(withAgent.stdout).toBe(without.stdout);

    const report = withAgent.report;
    expect(report, `no report; stderr:\n${withAgent.stderr}`).not.toBeNull();
    const file = path.join(FIXTURES, FIXTURE);
    // A loaded machine can add a stall at start-up, elsewhere: only this file's sites are compared.
    expect(report.sites.filter((site: { file: string }) => site.file === file).map((site: { line: number }) => site.line)).toEqual([BLOCKING]);
    expect(report.stalls.filter((stall: { site: { file: string } | null }) => stall.site?.file === file).map((stall: { site: { line: number } }) => stall.site.line)).toEqual([BLOCKING]);
    expect(report.ignored).toMatchObject({ count: 1, bySite: { [`test/integration/fixtures/${FIXTURE}:${IGNORED}`]: 1 } });
    expect(report.ignored.totalMs).toBeGreaterThanOrEqual(100);

    const lines = withAgent.stderr.split('\n').filter((line) => line.startsWith('loopwatch:'));
    expect(lines.filter((line) => line.includes(`${FIXTURE}:${IGNORED}`)), withAgent.stderr).toEqual([]);
    expect(lines.filter((line) => line.endsWith(`${FIXTURE}:${BLOCKING} (render)`)), withAgent.stderr).toHaveLength(1);
    expect(loopwatchWarnings(withAgent.stderr)).toEqual([{ code: 'LOOPWATCH_BAD_ENV', message: expect.stringMatching(/^loopwatch: LOOPWATCH_IGNORE_SITES=.*skipping ":3"/) }]);
  });
});
