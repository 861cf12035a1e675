import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, signalWhenReport, tempDir } from '../run-fixture';
import { CLI, runCli } from './run-cli';

describe('loopwatch run -- <command>', () => {
  it('runs the command under the preload, passes stdout through, summarizes on stderr', async () => {
    const result = await runCli(['run', '--', process.execPath, path.join(FIXTURES, 'cpu-timer.js')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('done\n');
    const reportFile = /JSON report: (.*report-\d+\.json)/.exec(result.stderr)?.[1];
    expect(reportFile, result.stderr).toBeDefined();
    const site = JSON.parse(fs.readFileSync(reportFile!, 'utf8')).sites[0];
    expect(Math.abs(site.line - blockingLine('cpu-timer.js'))).toBeLessThanOrEqual(1);
    expect(result.stderr).toContain(`cpu-timer.js:${site.line} spin()`);
  });

  it("passes the command's exit code through", async () => {
    const result = await runCli(['run', '--', process.execPath, path.join(FIXTURES, 'exit-during-stall.js')]);
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/#1 test\/integration\/fixtures\/exit-during-stall\.js:\d+/);
  });

  it('forwards SIGTERM to the command, summarizes, and dies of the same signal', async () => {
    // A report path of the test's own, to see when the stall is on disk.
    const reportPath = path.join(tempDir(), 'report.json');
    const env: NodeJS.ProcessEnv = { ...process.env, LOOPWATCH_REPORT: reportPath };
    delete env.NODE_OPTIONS;
    const cli = spawn(process.execPath, [CLI, 'run', '--', process.execPath, path.join(FIXTURES, 'signal-wait.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // loopwatch keeps the report current within 250 ms of a stall (it adds no signal listener):
    // signalled once the stall is on disk, not at a fixed delay a loaded machine can outlast.
    signalWhenReport(cli, reportPath, (report) => report.sites.some((site: any) => site.line === blockingLine('signal-wait.js')));
    const [code, signal] = (await once(cli, 'close')) as [number | null, NodeJS.Signals | null];
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(stderr).toMatch(/#1 test\/integration\/fixtures\/signal-wait\.js:\d+/);
  });

  it('honours LOOPWATCH_REPORT when set, and writes --html', async () => {
    const dir = tempDir();
    const report = path.join(dir, 'mine.json');
    const html = path.join(dir, 'mine.html');
    const result = await runCli(['run', '--html', html, '--', process.execPath, path.join(FIXTURES, 'regex.js')], { LOOPWATCH_REPORT: report });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`JSON report: ${report}`);
    expect(result.stderr).toContain(`HTML report written to ${html}`);
  });

  it('a command that does not exist is a usage error', async () => {
    const result = await runCli(['run', '--', 'definitely-not-a-command-loopwatch']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/command not found: definitely-not-a-command-loopwatch/);
  });
});
