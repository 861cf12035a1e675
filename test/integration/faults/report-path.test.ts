/**
 * LOOPWATCH_REPORT pointing somewhere that cannot be written: the README promises one
 * LOOPWATCH_REPORT_UNWRITABLE warning ("Problems are reported once each"), an app that runs and
 * exits as without loopwatch, and everything else loopwatch does (here: /metrics) still working.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockingLine, runFixture, tempDir } from '../run-fixture';
import { announcedPort } from '../metrics/scrape';
import { allLoopwatchCodes, loopwatchWarnings } from './env-matrix';
import { runHeld, scrapeUntil, sum, until } from './helpers';

const FIXTURE = 'fault-report-path.js';
const SITE = `test/integration/fixtures/${FIXTURE}:${blockingLine(FIXTURE)}`;

function missingFolder(): string {
  return path.join(tempDir(), 'missing', 'deeper', 'report.json');
}

/**
 * A folder loopwatch cannot write into. chmod 0555 does that for a normal user; but tests may run as
 * root (they do in this project's CI containers), and root's writes ignore the mode bits
 * (CAP_DAC_OVERRIDE). So the folder is probed: if a file can still be created in it, the report
 * goes under a regular file instead (`<tmp>/not-a-folder/report.json`), which no user, root
 * included, can create (ENOTDIR).
 */
function readOnlyFolder(): { reportPath: string; how: string } {
  const dir = path.join(tempDir(), 'read-only');
  fs.mkdirSync(dir, { mode: 0o555 });
  fs.chmodSync(dir, 0o555);
  try {
    fs.writeFileSync(path.join(dir, 'probe'), '');
  } catch {
    return { reportPath: path.join(dir, 'report.json'), how: 'chmod 0555 folder' };
  }
  const file = path.join(path.dirname(dir), 'not-a-folder');
  fs.writeFileSync(file, 'a regular file\n');
  return { reportPath: path.join(file, 'report.json'), how: 'parent is a regular file (running as root: chmod 0555 does not stop writes)' };
}

const CASES: Array<[string, () => { reportPath: string; how: string }]> = [
  ['a missing folder', () => ({ reportPath: missingFolder(), how: 'missing folder' })],
  ['a read-only folder', readOnlyFolder],
];

describe('report path faults', () => {
  it.each(CASES)('%s: one LOOPWATCH_REPORT_UNWRITABLE warning, the app unchanged, /metrics still counts the stalls', async (_name, make) => {
    const { reportPath, how } = make();
    const without = await runFixture(FIXTURE, { withoutAgent: true });
    let scraped = 0;
    const result = await runHeld(FIXTURE, { env: { LOOPWATCH_REPORT: reportPath, LOOPWATCH_METRICS_PORT: '0' } }, async (held) => {
      await until(() => announcedPort(held.stderr()) !== null, 15_000, 'the metrics port on stderr');
      const { samples } = await scrapeUntil(announcedPort(held.stderr())!, (s) => sum(s, 'loopwatch_eventloop_stalls_total', { site: SITE }) >= 2);
      scraped = sum(samples, 'loopwatch_eventloop_stalls_total', { site: SITE });
    });
    expect(without.code).toBe(4);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(without.code);
    expect(result.stdout).toBe(without.stdout);
    expect(scraped).toBeGreaterThanOrEqual(2);
    const unwritable = loopwatchWarnings(result.stderr).filter((w) => w.code === 'LOOPWATCH_REPORT_UNWRITABLE');
    expect(unwritable, `${how}: ${reportPath}; warnings:\n${unwritable.map((w) => w.message).join('\n')}`).toHaveLength(1);
    expect(unwritable[0]!.message).toContain(reportPath);
    expect([...new Set(allLoopwatchCodes(result.stderr))]).toEqual(['LOOPWATCH_REPORT_UNWRITABLE']);
    // Both stalls still logged.
    expect(result.stderr.match(new RegExp(`^loopwatch: event loop blocked \\d+ ms at ${SITE} \\(spin\\)$`, 'gm'))).toHaveLength(2);
    expect(fs.existsSync(reportPath)).toBe(false);
  });

  it('a read-only folder, app exiting right after its stall: the warning is still printed', async () => {
    // cpu-timer.js stalls 600 ms and exits at once: the only report write is the one at exit.
    // The README's promise holds whenever the app exits: "the JSON report could not be written" is said.
    const { reportPath, how } = readOnlyFolder();
    const result = await runFixture('cpu-timer.js', { env: { LOOPWATCH_REPORT: reportPath } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(fs.existsSync(reportPath)).toBe(false);
    expect(
      loopwatchWarnings(result.stderr).filter((w) => w.code === 'LOOPWATCH_REPORT_UNWRITABLE'),
      `${how}: ${reportPath}; stderr:\n${result.stderr}`,
    ).toHaveLength(1);
  });
});
