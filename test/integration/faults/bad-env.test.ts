/**
 * Every LOOPWATCH_* variable set to the same kind of bad value at once. The README promises: "A bad
 * value prints one LOOPWATCH_BAD_ENV warning and the default is used; the app always runs."
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';
import { BAD_CLASSES, type BadClass, allLoopwatchCodes, badEnvironment, loopwatchWarnings, variablesReadByOptions } from './env-matrix';

const FIXTURE = 'fault-env.js';

describe('every environment variable, every kind of bad value', () => {
  it('covers every variable src/options.ts reads (a new one needs a decision in env-matrix.ts)', () => {
    const names = variablesReadByOptions();
    expect(names.length).toBeGreaterThan(20);
    // Throws for a variable without a decision.
    for (const cls of Object.keys(BAD_CLASSES) as BadClass[]) expect(() => badEnvironment(cls)).not.toThrow();
  });

  it.each(Object.keys(BAD_CLASSES) as BadClass[])('all variables %s at once: the app runs as without loopwatch, defaults apply, one warning per bad variable', async (cls) => {
    const { env, warning, silent } = badEnvironment(cls);
    // LOOPWATCH_REPORT stays the harness's valid path (runFixture sets it and reads it back).
    delete env.LOOPWATCH_REPORT;
    const [without, withAgent] = await Promise.all([
      runFixture(FIXTURE, { withoutAgent: true }),
      runFixture(FIXTURE, { env }),
    ]);
    // The app: same exit code, same stdout, not killed by the harness.
    expect(without.code).toBe(3);
    expect(withAgent.signal).toBeNull();
    expect(withAgent.code).toBe(without.code);
    expect(withAgent.stdout).toBe(without.stdout);

    const warnings = loopwatchWarnings(withAgent.stderr);
    // Exactly one LOOPWATCH_BAD_ENV warning naming each bad variable; none for the others.
    for (const name of warning) {
      expect.soft(warnings.filter((w) => w.code === 'LOOPWATCH_BAD_ENV' && w.message.startsWith(`loopwatch: ${name}=`)), `${name}=${JSON.stringify(env[name])}`).toHaveLength(1);
    }
    for (const name of silent) {
      expect.soft(warnings.filter((w) => w.message.includes(`${name}=`)), `${name}=${JSON.stringify(env[name])} is not bad: no warning`).toEqual([]);
    }
    expect.soft(warnings.filter((w) => w.code === 'LOOPWATCH_BAD_ENV')).toHaveLength(warning.length);
    // No other loopwatch code (no LOOPWATCH_INTERNAL, no METRICS_SERVER_FAILED from the host, ...).
    expect.soft([...new Set(allLoopwatchCodes(withAgent.stderr))]).toEqual(warning.length > 0 ? ['LOOPWATCH_BAD_ENV'] : []);

    // The stall is still detected, with every default in force.
    const report = withAgent.report;
    expect(report, `no report at ${withAgent.reportPath}; stderr:\n${withAgent.stderr}`).not.toBeNull();
    // The fixture's one stall (a loaded machine can add one at start-up, elsewhere).
    expect.soft(report.summary.stalls).toBeGreaterThanOrEqual(1);
    expect.soft(report.sites).toContainEqual(expect.objectContaining({ file: path.join(FIXTURES, FIXTURE), line: blockingLine(FIXTURE), function: 'spin', count: 1 }));
    expect.soft(report).toMatchObject({ mode: 'production', thresholdMs: 100, hangMs: 5000, stacks: true });
    // LOOPWATCH_SYNC_APIS on (default): the section is there.
    expect.soft(report.syncApis).toBeDefined();
    // LOOPWATCH_FLOATING off by default ("off (on in debug, or when LOOPWATCH_FLOATING_SAMPLE is set)"):
    // a FLOATING_SAMPLE value loopwatch cannot use must not count as set.
    expect.soft(report.promises?.floatingDetection, 'floating-promise detection (default: off)').toBe('off');
    // LOOPWATCH_LOG_FORMAT text (default), LOOPWATCH_LOG stderr (default): one human line.
    const lines = withAgent.stderr.split('\n').filter((line) => line.startsWith('loopwatch:'));
    expect.soft(lines.filter((line) => !/^loopwatch: event loop blocked \d+ ms /.test(line)), 'loopwatch lines that are not text stall lines').toEqual([]);
    expect.soft(lines.filter((line) => line.endsWith(` at test/integration/fixtures/${FIXTURE}:${blockingLine(FIXTURE)} (spin)`))).toHaveLength(1);
  });
});
