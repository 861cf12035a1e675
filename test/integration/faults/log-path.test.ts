/**
 * Report and log destinations that move or misbehave: relative paths under an app that changes
 * directory, and a log that is a FIFO nobody reads.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockingLine, runFixture, tempDir } from '../run-fixture';

describe('report and log destinations', () => {
  it('relative paths are resolved where the app started, even if it calls process.chdir()', async () => {
    const started = tempDir();
    const movedTo = tempDir();
    const result = await runFixture('fault-chdir.js', { cwd: started, env: { LOOPWATCH_REPORT: 'report.json', LOOPWATCH_LOG: 'loopwatch.log', CHDIR_TO: movedTo } });
    expect(result.code, result.stderr).toBe(0);
    expect(fs.readdirSync(movedTo)).toEqual([]);
    const report = JSON.parse(fs.readFileSync(path.join(started, 'report.json'), 'utf8'));
    expect(report.sites.map((site: any) => site.line)).toContain(blockingLine('fault-chdir.js'));
    expect(fs.readFileSync(path.join(started, 'loopwatch.log'), 'utf8')).toMatch(/event loop blocked \d+ ms at .*fault-chdir\.js:\d+/);
  });

  it('a log that is a FIFO with no reader: one coded warning, lines on stderr, the app starts and exits as usual', async () => {
    const fifo = path.join(tempDir(), 'log.fifo');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO for writing blocks until a reader comes: before, the app hung at start.
    const result = await runFixture('cpu-timer.js', { env: { LOOPWATCH_LOG: fifo }, timeoutMs: 10_000 });
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr.match(/\[LOOPWATCH_LOG_UNWRITABLE\]/g), result.stderr).toHaveLength(1);
    expect(result.stderr).toMatch(/loopwatch: event loop blocked \d+ ms at test\/integration\/fixtures\/cpu-timer\.js:\d+ \(spin\)/);
  });
});
