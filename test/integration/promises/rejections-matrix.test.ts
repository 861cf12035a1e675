/**
 * The app must behave exactly as without loopwatch in every `--unhandled-rejections` mode, with
 * and without its own listeners, with the flag on the command line or in NODE_OPTIONS: same
 * stdout, same exit code, and the same stderr (byte for byte with LOOPWATCH_LOG=off; without
 * loopwatch's own lines otherwise). A listener of loopwatch's own would turn the default crash
 * into exit 0 (docs/design.md, "Promises"): this is the test that catches it.
 */
import { describe, expect, it } from 'vitest';
import { runFixture, type RunResult } from '../run-fixture';

const MODES = [null, 'throw', 'strict', 'warn', 'none', 'warn-with-error-code'] as const;
const LISTENERS = ['none', 'rejection', 'both'] as const;

interface Case {
  mode: (typeof MODES)[number];
  listener: (typeof LISTENERS)[number];
  via: 'argv' | 'NODE_OPTIONS';
  reason: 'error' | 'string';
  /** Debug mode adds promise hooks (floating detection, creation sites): they must not change anything either. */
  agentMode: 'production' | 'debug';
}

const cases: Case[] = [];
for (const mode of MODES) {
  for (const listener of LISTENERS) {
    cases.push({ mode, listener, via: 'argv', reason: 'error', agentMode: 'production' });
    if (mode !== null && listener !== 'both') cases.push({ mode, listener, via: 'NODE_OPTIONS', reason: 'error', agentMode: 'production' });
    if (listener !== 'both') cases.push({ mode, listener, via: 'argv', reason: 'error', agentMode: 'debug' });
  }
  cases.push({ mode, listener: 'none', via: 'argv', reason: 'string', agentMode: 'production' });
}

function run(c: Case, agent: 'none' | 'log-off' | 'log-on'): Promise<RunResult> {
  const flag = c.mode === null ? [] : [`--unhandled-rejections=${c.mode}`];
  return runFixture('promise-unhandled.js', {
    withoutAgent: agent === 'none',
    nodeArgs: c.via === 'argv' ? flag : [],
    env: {
      APP_LISTENER: c.listener,
      REASON: c.reason,
      NODE_OPTIONS: c.via === 'NODE_OPTIONS' ? flag.join(' ') : undefined,
      LOOPWATCH_LOG: agent === 'log-off' ? 'off' : 'stderr',
      LOOPWATCH_MODE: c.agentMode,
      // Stall lines (startup can be slow on a loaded machine) are loopwatch lines too; keeping
      // them out keeps this test about rejections.
      LOOPWATCH_THRESHOLD_MS: '600000',
      LOOPWATCH_HANG_MS: '600000',
    },
  });
}

/**
 * Only the pid differs between two runs: Node's warnings print `(node:12345)`. Nothing else is
 * normalised (paths and stacks are the same in both runs, since the same fixture runs from the
 * same folder).
 */
function normalizePid(stderr: string, pid: string): string {
  return stderr.split(`(node:${pid})`).join('(node:PID)');
}

function pidOf(stderr: string): string {
  return /\(node:(\d+)\)/.exec(stderr)?.[1] ?? 'none';
}

function withoutLoopwatchLines(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith('loopwatch:'))
    .join('\n');
}

describe('unhandled rejections: the app behaves exactly as without loopwatch', () => {
  it.each(cases)('mode=$mode listener=$listener via=$via reason=$reason agent=$agentMode', async (c) => {
    const [bare, quiet, logged] = await Promise.all([run(c, 'none'), run(c, 'log-off'), run(c, 'log-on')]);
    expect(bare.signal).toBeNull();
    const baseline = normalizePid(bare.stderr, pidOf(bare.stderr));

    expect(quiet.code).toBe(bare.code);
    expect(quiet.stdout).toBe(bare.stdout);
    expect(normalizePid(quiet.stderr, pidOf(quiet.stderr))).toBe(baseline);

    expect(logged.code).toBe(bare.code);
    expect(logged.stdout).toBe(bare.stdout);
    expect(normalizePid(withoutLoopwatchLines(logged.stderr), pidOf(logged.stderr))).toBe(baseline);

    // And loopwatch saw it: once, whichever path Node took (strict mode goes through the
    // uncaught-exception monitor first).
    const loopwatchLines = logged.stderr.split('\n').filter((line) => line.startsWith('loopwatch: unhandled rejection:'));
    expect(loopwatchLines).toHaveLength(1);
    expect(loopwatchLines[0]).toContain(c.reason === 'string' ? 'plain string reason' : 'Error: boom');
    // In debug mode the line also says where the rejected promise was created; not in strict
    // mode, whose uncaught-exception path hands Node's monitor the reason without the promise.
    if (c.agentMode === 'debug' && c.mode !== 'strict') expect(loopwatchLines[0]).toContain('the promise was created at test/integration/fixtures/promise-unhandled.js:');
    const section = logged.report?.promises;
    expect(section.unhandledRejections.map((entry: any) => entry.count)).toEqual([1]);
    // The late `.catch` runs only when the process survived the rejection.
    expect(section.rejectionsHandledLate).toBe(bare.stdout.includes('handled late') ? 1 : 0);
  });
});
