/**
 * Debug mode with LOOPWATCH_STALL_CONTEXT=on adds the async context of a stall: the callback type and where it was scheduled, as
 * a complement to the blocking line (the watchdog's own line still names it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine } from '../run-fixture';
import { runHeld, until } from '../faults/helpers';

const fixture = 'promise-stall-context.js';
const file = path.join(FIXTURES, fixture);
const scheduledLine = fs.readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes('SCHEDULED LINE')) + 1;
const stallLine = new RegExp(`^loopwatch: event loop blocked \\d+ ms at test/integration/fixtures/${fixture}:${blockingLine(fixture)} `, 'm');
const contextLine = `ran in a Timeout callback scheduled at test/integration/fixtures/${fixture}:${scheduledLine} (scheduleReport)`;

/**
 * Runs the fixture until `seen` is on its stderr (never a fixed keep-alive: a loaded machine can
 * take longer to report the stall back to the main thread), then lets it exit.
 */
const runUntil = (env: Record<string, string>, seen: (stderr: string) => boolean, what: string) =>
  runHeld(fixture, { env }, (held) => until(() => seen(held.stderr()), 15_000, what));

describe('stall context (debug mode)', () => {
  it('names the callback a stall ran in and the line that scheduled it', async () => {
    // The main thread logs the context once the watchdog has told it of the stall.
    const result = await runUntil({ LOOPWATCH_MODE: 'debug', LOOPWATCH_STALL_CONTEXT: 'on' }, (stderr) => stderr.includes(contextLine), `"${contextLine}" on stderr`);
    expect(result.code).toBe(0);
    const entry = result.report.stallContexts.find((context: any) => context.type === 'Timeout' && context.scheduledAt?.line === scheduledLine);
    expect(entry).toMatchObject({ site: `test/integration/fixtures/${fixture}:${blockingLine(fixture)}`, scheduledAt: { file, function: 'scheduleReport' } });
  });

  it.each([
    ['production, even when asked for (no async_hooks there)', { LOOPWATCH_STALL_CONTEXT: 'on' }],
    ['debug mode unless asked for', { LOOPWATCH_MODE: 'debug' }],
  ])('is off in %s', async (_name, env) => {
    // The watchdog's line: the stall is on its way to the main thread, where a context would be added.
    const result = await runUntil(env, (stderr) => stallLine.test(stderr), 'the stall line on stderr');
    expect(result.code).toBe(0);
    expect(result.report.stallContexts).toBeUndefined();
    expect(result.stderr).not.toContain('callback scheduled at');
  });
});
