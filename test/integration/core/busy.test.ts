import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture, tempDir, waitFor } from '../run-fixture';
import { announcedPort, httpGet, parseSamples, value } from '../metrics/scrape';
import { runCli } from '../cli/run-cli';

/**
 * A saturated loop (src/watchdog/busy.ts): 30 ms callbacks every 35 ms, none a stall. A 2 s window
 * (the default is 5 s) and a 5 s run leave about 2.5 s of sampled busy time.
 */
const SATURATED = path.join(FIXTURES, 'saturated.js');
const BUSY_ENV = { LOOPWATCH_BUSY_WINDOW_MS: '2000', SATURATED_RUN_MS: '5000' };

describe('a saturated loop, no callback over the threshold', () => {
  it('is reported busy, and its busy time goes to the line that keeps it busy', async () => {
    const result = await runFixture('saturated.js', { env: BUSY_ENV });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('done\n');
    const busy = result.report.busy;
    expect(busy).toMatchObject({ percent: 80, windowMs: 2000, periods: 1 });
    // Sampled from when the window first showed it busy (about 2.5 s in) to the exit.
    expect(busy.totalMs).toBeGreaterThan(1000);
    const [top] = busy.sites;
    expect(top, JSON.stringify(busy)).toMatchObject({ file: SATURATED, line: blockingLine('saturated.js'), function: 'render' });
    expect(top.samples).toBeGreaterThanOrEqual(5);
    // Nearly every sample lands in render(): the loop spends 30 of every 35 ms there, and samples
    // that land between callbacks are dropped, not counted against whatever ran next.
    expect(top.busyMs).toBeGreaterThan(0.8 * (busy.totalMs - busy.unattributedMs));
    expect(top.suggestion).toContain('worker pool');
    // One line as it turned busy, one at the end (here, the exit) naming where the time went.
    expect(result.stderr).toMatch(/loopwatch: event loop \d+% busy over the last 2 s with no callback over 100 ms/);
    expect(result.stderr).toMatch(new RegExp(`loopwatch: event loop was busy for [\\d.]+ s; \\d+% of it at test/integration/fixtures/saturated\\.js:${blockingLine('saturated.js')} \\(render\\)`));

    // The terminal report says it too, and a merge of two copies of the report doubles it.
    const terminal = await runCli(['report', result.reportPath], { NO_COLOR: '1' });
    expect(terminal.stdout).toMatch(new RegExp(`The loop was saturated for [\\d.]+ s \\(1 period, every callback under the threshold\\): \\d+% at test/integration/fixtures/saturated\\.js:${blockingLine('saturated.js')} \\(render\\)`));
    const folder = tempDir();
    fs.copyFileSync(result.reportPath, path.join(folder, 'copy.json'));
    const mergedPath = path.join(folder, 'merged.json');
    const merged = await runCli(['report', result.reportPath, path.join(folder, 'copy.json'), '--merged-json', mergedPath]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(mergedPath, 'utf8')).busy).toMatchObject({ periods: 2, totalMs: expect.closeTo(2 * busy.totalMs, 0), sites: [expect.objectContaining({ line: top.line, samples: 2 * top.samples })] });
  });

  it('a loop busy 30% of the time is not sampled at all', async () => {
    const result = await runFixture('half-busy.js', { env: { LOOPWATCH_BUSY_WINDOW_MS: '2000' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.report.busy).toEqual({ percent: 80, windowMs: 2000, periods: 0, totalMs: 0, unattributedMs: 0, otherMs: 0, sites: [] });
    expect(result.stderr).not.toContain('busy');
  });

  it('LOOPWATCH_BUSY_PERCENT=0 turns it off', async () => {
    const result = await runFixture('saturated.js', { env: { ...BUSY_ENV, SATURATED_RUN_MS: '3500', LOOPWATCH_BUSY_PERCENT: '0' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.report.busy).toMatchObject({ percent: 0, periods: 0, totalMs: 0, sites: [] });
    expect(result.stderr).not.toContain('busy');
  });

  it('counts the busy time by site in loopwatch_eventloop_busy_seconds_total', async () => {
    const site = `test/integration/fixtures/saturated.js:${blockingLine('saturated.js')}`;
    let seconds = 0;
    const outcome: { failure?: Error } = {};
    const result = await runFixture('saturated.js', {
      env: { ...BUSY_ENV, SATURATED_RUN_MS: '20000', LOOPWATCH_METRICS_PORT: '0' },
      onSpawn: (child: ChildProcess) => {
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        waitFor(() => announcedPort(stderr), 15_000, 'the metrics port on stderr')
          .then(async (port) => {
            const deadline = Date.now() + 15_000;
            while (seconds < 1 && Date.now() < deadline) {
              const { body } = await httpGet(`http://127.0.0.1:${port}/metrics`);
              seconds = value(parseSamples(body), 'loopwatch_eventloop_busy_seconds_total', { site }) ?? 0;
              await new Promise((resolve) => setTimeout(resolve, 250));
            }
          })
          .catch((error: Error) => (outcome.failure = error))
          .finally(() => child.kill('SIGTERM'));
      },
    });
    if (outcome.failure) throw outcome.failure;
    expect(result.stdout).toBe('');
    expect(seconds).toBeGreaterThanOrEqual(1);
  });
});
