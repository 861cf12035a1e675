/**
 * The capture paths (src/capture/choose.ts): the same blocking lines named by the native path and
 * by the inspector path, and the faults the native path must survive without touching the app.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';

const fixture = (name: string): string => path.join(FIXTURES, name);

/** The site at `line` of `file`, from a report. */
function siteAt(report: any, file: string, line: number, threadId?: number): any {
  return report?.sites.find((site: any) => site.file === file && site.line === line && (threadId === undefined || site.threadId === threadId));
}

describe.each(['native', 'inspector'])('the %s capture path', (capture) => {
  const env = { LOOPWATCH_CAPTURE: capture };

  it('names a CPU loop, records which path read it, and leaves stdout alone', async () => {
    const result = await runFixture('cpu-timer.js', { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    expect(result.stderr).not.toMatch(/\[LOOPWATCH_\w+\]/);
    expect(result.report).toMatchObject({ stacks: true, capture });
    expect(siteAt(result.report, fixture('cpu-timer.js'), blockingLine('cpu-timer.js')), JSON.stringify(result.report.sites)).toBeDefined();
  });

  it('names the line in an ES module after an await', async () => {
    const result = await runFixture('esm-after-await.mjs', { env });
    expect(result.code).toBe(0);
    expect(siteAt(result.report, fixture('esm-after-await.mjs'), blockingLine('esm-after-await.mjs')), JSON.stringify(result.report.sites)).toBeDefined();
  });

  it('names the line in a worker thread, with its threadId, and the main thread’s own line', async () => {
    const result = await runFixture('thread-cpu.js', { env });
    expect(result.code).toBe(0);
    const threadId = Number(/worker (\d+)/.exec(result.stdout)?.[1]);
    expect(siteAt(result.report, fixture('thread-cpu.js'), blockingLine('thread-cpu.js'), threadId), JSON.stringify(result.report.sites)).toBeDefined();
    expect(siteAt(result.report, fixture('thread-cpu.js'), blockingLine('thread-cpu.js', 'MAIN BLOCKING LINE'), 0), JSON.stringify(result.report.sites)).toBeDefined();
  });
});

describe('the native capture path', () => {
  it('is the default', async () => {
    const result = await runFixture('cpu-timer.js');
    expect(result.report.capture).toBe('native');
  });

  it('missing: one coded warning, stalls still timed, never the inspector by itself', async () => {
    // The module's own override: a binary that is not there.
    const result = await runFixture('cpu-timer.js', { env: { SENTRY_STACK_TRACE_BINARY_PATH: '/nonexistent/stack-trace.node' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done\n');
    const warnings = result.stderr.match(/\[LOOPWATCH_\w+\]/g) ?? [];
    expect(warnings).toEqual(['[LOOPWATCH_NO_NATIVE_CAPTURE]']);
    expect(result.stderr).toMatch(/no native stack capture: @sentry\/node-native-stacktrace has no binary/);
    expect(result.report.summary.stalls).toBeGreaterThanOrEqual(1);
    expect(result.report).toMatchObject({ capture: 'off', stacks: false });
    expect(result.report.stacksUnavailable).toMatch(/^native capture unavailable/);
    expect(result.report.unattributed.count).toBeGreaterThanOrEqual(1);
  });

  it('asked for and missing: off with one warning, never the inspector', async () => {
    const result = await runFixture('cpu-timer.js', { env: { LOOPWATCH_CAPTURE: 'native', SENTRY_STACK_TRACE_BINARY_PATH: '/nonexistent/stack-trace.node' } });
    expect(result.code).toBe(0);
    expect(result.stderr.match(/\[LOOPWATCH_\w+\]/g)).toEqual(['[LOOPWATCH_NO_NATIVE_CAPTURE]']);
    expect(result.report).toMatchObject({ capture: 'off', stacks: false });
  });

  it.each([
    ['the same copy loopwatch loads', '@sentry/node-native-stacktrace'],
    ['another version installed beside it', 'sentry-native-stacktrace-0.5.1'],
  ])('coexists with an app that uses the module itself (%s): both see the line', async (_name, moduleName) => {
    const line = blockingLine('capture-app-uses-module.js');
    const env = { MODULE: moduleName };
    const bare = await runFixture('capture-app-uses-module.js', { env, withoutAgent: true });
    expect(bare.stdout).toBe(`app saw spin at line ${line}\n`);
    const watched = await runFixture('capture-app-uses-module.js', { env });
    expect(watched.code).toBe(0);
    expect(watched.stdout).toBe(bare.stdout);
    expect(watched.stderr).not.toMatch(/\[LOOPWATCH_\w+\]/);
    expect(siteAt(watched.report, fixture('capture-app-uses-module.js'), line), JSON.stringify(watched.report.sites)).toBeDefined();
  });

  it('a main thread inside a long native call: the watchdog still writes the hang line while it runs', async () => {
    const result = await runFixture('capture-native-call.js', { env: { LOOPWATCH_HANG_MS: '400' }, timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const start = result.stderr.indexOf('clone start');
    const hang = result.stderr.indexOf('and still blocked', start);
    const done = result.stderr.indexOf('clone done');
    expect(start, result.stderr).toBeGreaterThanOrEqual(0);
    expect(hang, result.stderr).toBeGreaterThan(start);
    expect(done, result.stderr).toBeGreaterThan(hang);
  });

  it('process.exit() while captures are in flight: the app’s exit code, the app’s output', async () => {
    const result = await runFixture('capture-exit-mid-capture.js', {
      env: { LOOPWATCH_SAMPLE_MS: '10', LOOPWATCH_THRESHOLD_MS: '20', LOOPWATCH_MAX_CAPTURES_PER_MIN: '6000' },
    });
    expect(result.code).toBe(7);
    expect(result.signal).toBeNull();
    expect(result.stdout).toBe('exiting\n');
    expect(siteAt(result.report, fixture('capture-exit-mid-capture.js'), blockingLine('capture-exit-mid-capture.js')), JSON.stringify(result.report?.sites)).toBeDefined();
  });

  it('fifty worker threads: the busy one is named in its thread, then the main thread in its own', async () => {
    // Fifty threads booting at once stall each other on two cores: enough captures for all of them.
    const result = await runFixture('capture-fifty-threads.js', { env: { LOOPWATCH_MAX_CAPTURES_PER_MIN: '600' }, timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    const threadId = Number(/busy worker (\d+)/.exec(result.stdout)?.[1]);
    const file = fixture('capture-fifty-threads.js');
    expect(siteAt(result.report, file, blockingLine('capture-fifty-threads.js'), threadId), JSON.stringify(result.report.sites)).toBeDefined();
    expect(siteAt(result.report, file, blockingLine('capture-fifty-threads.js', 'MAIN BLOCKING LINE'), 0), JSON.stringify(result.report.sites)).toBeDefined();
  });
});
