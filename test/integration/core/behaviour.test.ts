import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, PRELOAD, blockingLine, runFixture, signalWhenReport, tempDir, waitFor } from '../run-fixture';

const loopwatchLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('loopwatch:'));
/**
 * The stall lines of cpu-timer.js's own stall. The heartbeat starts before the app's main module
 * loads, so a slow start on a loaded machine is a real, extra stall with a line of its own.
 */
const CPU_TIMER_SITE = `test/integration/fixtures/cpu-timer.js:${blockingLine('cpu-timer.js')} (spin)`;
const spinLines = (lines: string[]): string[] => lines.filter((line) => line.endsWith(` at ${CPU_TIMER_SITE}`));
const spinSite = (report: any): any => report.sites.find((site: any) => site.file === path.join(FIXTURES, 'cpu-timer.js') && site.line === blockingLine('cpu-timer.js'));

describe('the app behaves as without loopwatch', () => {
  it('exits by itself, with the same stdout and exit code', async () => {
    // Thresholds out of reach: a slow start on a loaded machine is a real stall, with a line on
    // stderr; this test is about exiting, and about loopwatch printing nothing (no warning).
    const quiet = { LOOPWATCH_THRESHOLD_MS: '600000', LOOPWATCH_HANG_MS: '600000' };
    const [without, withAgent] = await Promise.all([runFixture('idle-exit.js', { withoutAgent: true }), runFixture('idle-exit.js', { env: quiet })]);
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
    const killWhenReady = (child: import('node:child_process').ChildProcess) => {
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('ready\n')) child.kill('SIGTERM');
      });
    };
    const line = blockingLine('signal-wait.js');
    const [without, withAgent] = await Promise.all([
      runFixture('signal-wait.js', { withoutAgent: true, onSpawn: killWhenReady }),
      // Killed once the watchdog has written the stall to disk (it does within 250 ms of the stall's end).
      runFixture('signal-wait.js', { onSpawn: (child, reportPath) => signalWhenReport(child, reportPath, (report) => report.sites.some((site: any) => site.line === line)) }),
    ]);
    expect(without.signal).toBe('SIGTERM');
    expect(withAgent.signal).toBe('SIGTERM');
    expect(withAgent.report.reason).toBe('stall');
    expect(withAgent.report.sites[0]).toMatchObject({ line });
  });

  it('SIGTERM in the middle of a long stall, between stack captures: the report on disk holds that stall, where it blocks', async () => {
    const script = 'signal-mid-stall.js';
    // Killed once the report on disk holds the stall going on, re-sampled (the 4 s stall is far from over then).
    const resampled = (stall: any): boolean => stall.ongoing === true && stall.site?.line === blockingLine(script) && stall.samples.length > 0 && stall.durationMs > 500;
    const result = await runFixture(script, {
      onSpawn: (child, reportPath) => signalWhenReport(child, reportPath, (report) => report.stalls.some(resampled)),
    });
    expect(result.signal).toBe('SIGTERM');
    expect(result.report.schema).toBe('loopwatch/report@1');
    const ongoing = result.report.stalls.find((stall: any) => stall.ongoing === true);
    expect(ongoing?.site, JSON.stringify(result.report.stalls)).toMatchObject({ line: blockingLine(script) });
    expect(ongoing.durationMs).toBeGreaterThan(500);
    expect(ongoing.samples.length).toBeGreaterThan(0);
  });

  it.each(['production', 'debug'])('leaves the stacks the app takes as they are (%s mode)', async (mode) => {
    const bare = await runFixture('stack-after-await.js', { withoutAgent: true });
    const watched = await runFixture('stack-after-await.js', { env: { LOOPWATCH_MODE: mode } });
    expect(bare.stdout).toMatch(/^Error: loading\n {4}at Object\.<anonymous> \(.*stack-at-load\.js:3:/);
    expect(bare.stdout).toMatch(/\nError: probe\n {4}at first \(/);
    // Before, a tick the watchdog's start-up left queued added `at process.processTicksAndRejections`.
    expect(watched.stdout).toBe(bare.stdout);
    expect(watched.code).toBe(bare.code);
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
    // One agent: its stall logged and counted once (a second watchdog would log it twice).
    expect(spinLines(loopwatchLines(result.stderr))).toHaveLength(1);
    expect(spinSite(result.report)).toMatchObject({ count: 1 });
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

describe('an app that fakes the clock', () => {
  it('is not seen as stalled, and its sync calls are timed by the real clock (fake timers replace process.hrtime and performance.now)', async () => {
    const result = await runFixture('fake-clock.js');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr).not.toMatch(/blocked/);
    expect(result.report.stalls).toEqual([]);
    expect(result.report.syncApis['JSON.parse']).toMatchObject({ calls: 20, slowCalls: 0 });
    expect(result.report.syncApis['JSON.parse'].maxMs).toBeLessThan(100);
  });
});

describe('an app that replaces Function.prototype.apply and .call', () => {
  it('sees its replacements called exactly as often as without loopwatch, around timed sync calls', async () => {
    const [bare, watched] = await Promise.all([runFixture('patched-apply.js', { withoutAgent: true }), runFixture('patched-apply.js')]);
    expect(bare.stdout).toBe('{"apply":0,"call":0}\n');
    expect(watched.code).toBe(0);
    expect(watched.stdout).toBe(bare.stdout);
    // The fixture's ten, and Node's loader reading the fixture itself.
    expect(watched.report.syncApis['fs.readFileSync'].calls).toBeGreaterThanOrEqual(10);
  });
});

describe('logging', () => {
  it('writes JSON lines with LOOPWATCH_LOG_FORMAT=json', async () => {
    const result = await runFixture('cpu-timer.js', { env: { LOOPWATCH_LOG_FORMAT: 'json' } });
    // Every line is a JSON entry; the fixture's stall is exactly one of them.
    const entries = result.stderr.trim().split('\n').map((line) => JSON.parse(line));
    expect(entries.every((each) => each.source === 'loopwatch' && each.event === 'stall'), result.stderr).toBe(true);
    const spin = entries.filter((each) => each.file === path.join(FIXTURES, 'cpu-timer.js') && each.line === blockingLine('cpu-timer.js'));
    expect(spin, result.stderr).toHaveLength(1);
    expect(spin[0]).toMatchObject({ function: 'spin' });
    expect(spin[0].durationMs).toBeGreaterThanOrEqual(580);
  });

  it('logs a stall that the exit ends, or that ended just before it, without a report too', async () => {
    // cpu-timer.js returns from its 600 ms spin and exits: the heartbeat may measure the stall
    // first, or only the exit does. exit-during-stall.js calls process.exit(7) in the middle of one.
    const exitStall = `test/integration/fixtures/exit-during-stall.js:${blockingLine('exit-during-stall.js')}`;
    for (const report of [undefined, 'default']) {
      const env = report === undefined ? { LOOPWATCH_REPORT: undefined } : {};
      const [spin, exited] = await Promise.all([runFixture('cpu-timer.js', { env }), runFixture('exit-during-stall.js', { env })]);
      expect(spin.code).toBe(0);
      expect(spinLines(loopwatchLines(spin.stderr)), `LOOPWATCH_REPORT ${report ?? 'unset'}; stderr:\n${spin.stderr}`).toHaveLength(1);
      expect(exited.code).toBe(7);
      expect(loopwatchLines(exited.stderr).filter((line) => line.includes(` at ${exitStall} `)), exited.stderr).toHaveLength(1);
    }
  });

  it('appends to a file with LOOPWATCH_LOG=<path>, and is silent with LOOPWATCH_LOG=off', async () => {
    const logFile = path.join(tempDir(), 'loopwatch.log');
    const toFile = await runFixture('cpu-timer.js', { env: { LOOPWATCH_LOG: logFile } });
    expect(toFile.stderr).toBe('');
    const logged = fs.readFileSync(logFile, 'utf8');
    expect(logged).toMatch(/^(loopwatch: event loop blocked \d+ ms .*\n)+$/);
    expect(spinLines(logged.split('\n')), logged).toHaveLength(1);
    const off = await runFixture('cpu-timer.js', { env: { LOOPWATCH_LOG: 'off' } });
    expect(off.stderr).toBe('');
    expect(spinSite(off.report)).toMatchObject({ count: 1 });
  });

  it('rate-limits log lines and stack captures, never the counts', async () => {
    const result = await runFixture('many-stalls.js', { env: { LOOPWATCH_LOG_PER_MIN: '5', LOOPWATCH_MAX_CAPTURES_PER_MIN: '3' } });
    expect(result.code).toBe(0);
    const lines = loopwatchLines(result.stderr);
    expect(lines.length).toBeLessThanOrEqual(6);
    // All 40 of the fixture's stalls are counted, plus at most one real start-up stall on a loaded
    // machine (the heartbeat starts before the app's main module loads).
    const { stalls } = result.report.summary;
    expect(stalls).toBeGreaterThanOrEqual(40);
    expect(stalls).toBeLessThanOrEqual(41);
    const captured = result.report.sites.reduce((sum: number, site: any) => sum + site.count, 0);
    expect(captured).toBeLessThanOrEqual(3);
    expect(captured + result.report.unattributed.count).toBe(stalls);
  });
});

/**
 * Without stacks every stall is unattributed, the fixture's 600 ms one included. Starting with an
 * inspector port open is slow: a real start-up stall (unattributed too) may come before it.
 */
function expectTimedWithoutStacks(report: any): void {
  expect(report.unattributed.count).toBeGreaterThanOrEqual(1);
  expect(report.stalls.filter((stall: any) => stall.durationMs >= 550), JSON.stringify(report.stalls)).toEqual([expect.objectContaining({ site: null, stack: [] })]);
}

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
    // The stall is still logged, once; loopwatch prints no other line of its own.
    const lines = loopwatchLines(result.stderr);
    expect(lines.every((line) => line.startsWith('loopwatch: event loop blocked')), result.stderr).toBe(true);
    expect(spinLines(lines), result.stderr).toHaveLength(1);
  });

  it('a debugger port already open (--inspect): the native capture still names the line, without touching the debugger', async () => {
    const result = await runFixture('cpu-timer.js', { nodeArgs: ['--inspect=127.0.0.1:0'] });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr).not.toMatch(/\[LOOPWATCH_\w+\]/);
    expect(result.report).toMatchObject({ stacks: true, capture: 'native' });
    expect(result.report.sites.map((site: any) => site.line)).toContain(blockingLine('cpu-timer.js'));
  });

  it('a debugger port already open, with the inspector path asked for: durations without stacks', async () => {
    const result = await runFixture('cpu-timer.js', { nodeArgs: ['--inspect=127.0.0.1:0'], env: { LOOPWATCH_CAPTURE: 'inspector' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr).toMatch(/\[LOOPWATCH_NO_INSPECTOR\]/);
    expect(result.report).toMatchObject({ stacks: false, capture: 'off' });
    expectTimedWithoutStacks(result.report);
  });

  it('a Node.js build without the inspector: the native capture needs none', async () => {
    // NODE_OPTIONS' --require runs before the command line's: the stand-in loads before loopwatch.
    const result = await runFixture('cpu-timer.js', { env: { NODE_OPTIONS: `--require ${path.join(FIXTURES, 'no-inspector-build.js')}` } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr).not.toMatch(/\[LOOPWATCH_\w+\]/);
    expect(result.report.sites.map((site: any) => site.line)).toContain(blockingLine('cpu-timer.js'));
  });

  it('a Node.js build without the inspector, with the inspector path asked for: durations without stacks', async () => {
    const result = await runFixture('cpu-timer.js', {
      env: { NODE_OPTIONS: `--require ${path.join(FIXTURES, 'no-inspector-build.js')}`, LOOPWATCH_CAPTURE: 'inspector' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr).toMatch(/\[LOOPWATCH_NO_INSPECTOR\].*this Node\.js build has no inspector/);
    expect(result.stderr.match(/\[LOOPWATCH_\w+\]/g)).toHaveLength(1);
    expect(result.report.stacks).toBe(false);
    expectTimedWithoutStacks(result.report);
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
