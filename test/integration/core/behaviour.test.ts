import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, PRELOAD, blockingLine, runFixture, tempDir, waitFor } from '../run-fixture';

const loopwatchLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('loopwatch:'));

describe('the app behaves as without loopwatch', () => {
  it('exits by itself, with the same stdout and exit code', async () => {
    const [without, withAgent] = await Promise.all([runFixture('idle-exit.js', { withoutAgent: true }), runFixture('idle-exit.js')]);
    expect(withAgent.signal).toBeNull();
    expect(withAgent.code).toBe(0);
    expect(withAgent.stdout).toBe(without.stdout);
    expect(withAgent.stderr).toBe('');
  });

  it('keeps the exit code of process.exit() called in the middle of a stall, and records that stall', async () => {
    const result = await runFixture('exit-during-stall.js');
    expect(result.code).toBe(7);
    expect(result.report.reason).toBe('exit');
    expect(result.report.sites[0]).toMatchObject({ file: path.join(FIXTURES, 'exit-during-stall.js'), line: blockingLine('exit-during-stall.js') });
    expect(result.report.stalls[0].durationMs).toBeGreaterThanOrEqual(500);
  });

  it('dies of SIGTERM as it would have (no signal listener), with the report on disk already current', async () => {
    const killSoonAfterReady = (child: import('node:child_process').ChildProcess) => {
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // The watchdog writes the report within 250 ms of a stall's end.
        if (stderr.includes('ready\n')) setTimeout(() => child.kill('SIGTERM'), 600);
      });
    };
    const [without, withAgent] = await Promise.all([
      runFixture('signal-wait.js', { withoutAgent: true, onSpawn: killSoonAfterReady }),
      runFixture('signal-wait.js', { onSpawn: killSoonAfterReady }),
    ]);
    expect(without.signal).toBe('SIGTERM');
    expect(withAgent.signal).toBe('SIGTERM');
    expect(withAgent.report.reason).toBe('stall');
    expect(withAgent.report.sites[0]).toMatchObject({ line: blockingLine('signal-wait.js') });
  });

  it('SIGTERM in the middle of a long stall, between stack captures: the report on disk holds that stall, where it blocks', async () => {
    const script = 'signal-mid-stall.js';
    const result = await runFixture(script, {
      onSpawn: (child) => {
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('stalling\n')) setTimeout(() => child.kill('SIGTERM'), 1200);
        });
      },
    });
    expect(result.signal).toBe('SIGTERM');
    expect(result.report.schema).toBe('loopwatch/report@1');
    const ongoing = result.report.stalls.find((stall: any) => stall.ongoing === true);
    expect(ongoing?.site, JSON.stringify(result.report.stalls)).toMatchObject({ line: blockingLine(script) });
    expect(ongoing.durationMs).toBeGreaterThan(500);
    expect(ongoing.samples.length).toBeGreaterThan(0);
  });

  it('writes nothing, and starts nothing, with LOOPWATCH_MODE=off', async () => {
    const result = await runFixture('cpu-timer.js', { env: { LOOPWATCH_MODE: 'off' } });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.report).toBeNull();
  });

  it('starts one agent when loaded twice, and none inside its own worker (NODE_OPTIONS)', async () => {
    const result = await runFixture('cpu-timer.js', {
      nodeArgs: ['--require', PRELOAD],
      env: { NODE_OPTIONS: `--require ${PRELOAD}` },
    });
    expect(result.code).toBe(0);
    expect(loopwatchLines(result.stderr)).toHaveLength(1);
    expect(result.report.summary.stalls).toBe(1);
  });

  it('works through --import for ESM-first setups', async () => {
    const result = await runFixture('esm-after-await.mjs', { viaImport: true });
    expect(result.code).toBe(0);
    expect(result.report.sites[0]).toMatchObject({ line: blockingLine('esm-after-await.mjs'), function: 'crunch' });
  });

  it('never opens an inspector port', async () => {
    const result = await runFixture('inspector-url.js');
    expect(result.stdout).toBe('inspector url: undefined\n');
    expect(result.report.sites[0].line).toBe(blockingLine('inspector-url.js'));
  });
});

describe('logging', () => {
  it('writes JSON lines with LOOPWATCH_LOG_FORMAT=json', async () => {
    const result = await runFixture('cpu-timer.js', { env: { LOOPWATCH_LOG_FORMAT: 'json' } });
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ source: 'loopwatch', event: 'stall', file: path.join(FIXTURES, 'cpu-timer.js'), line: blockingLine('cpu-timer.js'), function: 'spin' });
    expect(entry.durationMs).toBeGreaterThanOrEqual(580);
  });

  it('appends to a file with LOOPWATCH_LOG=<path>, and is silent with LOOPWATCH_LOG=off', async () => {
    const logFile = path.join(tempDir(), 'loopwatch.log');
    const toFile = await runFixture('cpu-timer.js', { env: { LOOPWATCH_LOG: logFile } });
    expect(toFile.stderr).toBe('');
    expect(fs.readFileSync(logFile, 'utf8')).toMatch(/^loopwatch: event loop blocked \d+ ms at .*cpu-timer\.js:\d+ \(spin\)\n$/);
    const off = await runFixture('cpu-timer.js', { env: { LOOPWATCH_LOG: 'off' } });
    expect(off.stderr).toBe('');
    expect(off.report.summary.stalls).toBe(1);
  });

  it('rate-limits log lines and stack captures, never the counts', async () => {
    const result = await runFixture('many-stalls.js', { env: { LOOPWATCH_LOG_PER_MIN: '5', LOOPWATCH_MAX_CAPTURES_PER_MIN: '3' } });
    expect(result.code).toBe(0);
    const lines = loopwatchLines(result.stderr);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(result.report.summary.stalls).toBe(40);
    const captured = result.report.sites.reduce((sum: number, site: any) => sum + site.count, 0);
    expect(captured).toBeLessThanOrEqual(3);
    expect(captured + result.report.unattributed.count).toBe(40);
  });
});

describe('bad input: one coded warning, the app keeps running', () => {
  it('a bad environment variable', async () => {
    const result = await runFixture('cpu-timer.js', { env: { LOOPWATCH_THRESHOLD_MS: 'soon' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr.match(/\[LOOPWATCH_BAD_ENV\]/g)).toHaveLength(1);
    expect(result.report.thresholdMs).toBe(100);
  });

  it('an unwritable report path', async () => {
    const result = await runFixture('cpu-timer.js', { env: { LOOPWATCH_REPORT: '/nonexistent-dir/loopwatch.json' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr).toMatch(/\[LOOPWATCH_REPORT_UNWRITABLE\]/);
    expect(loopwatchLines(result.stderr)).toHaveLength(1);
  });

  it('a debugger port already open (--inspect): durations without stacks', async () => {
    const result = await runFixture('cpu-timer.js', { nodeArgs: ['--inspect=127.0.0.1:0'] });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr).toMatch(/\[LOOPWATCH_NO_INSPECTOR\]/);
    expect(result.report.stacks).toBe(false);
    expect(result.report.unattributed.count).toBe(1);
  });

  it('a Node.js build without the inspector: durations without stacks', async () => {
    // NODE_OPTIONS' --require runs before the command line's: the stand-in loads before loopwatch.
    const result = await runFixture('cpu-timer.js', { env: { NODE_OPTIONS: `--require ${path.join(FIXTURES, 'no-inspector-build.js')}` } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr).toMatch(/\[LOOPWATCH_NO_INSPECTOR\].*this Node\.js build has no inspector/);
    expect(result.stderr.match(/\[LOOPWATCH_\w+\]/g)).toHaveLength(1);
    expect(result.report.stacks).toBe(false);
    expect(result.report.unattributed.count).toBe(1);
  });

  it('writes the report with owner-only permissions', async () => {
    const result = await runFixture('cpu-timer.js');
    expect(fs.statSync(result.reportPath).mode & 0o777).toBe(0o600);
  });
});

describe('waitFor', () => {
  it('gives up at its deadline', async () => {
    await expect(waitFor(() => null, 100, 'nothing')).rejects.toThrow(/nothing/);
  });
});
