/**
 * Debug mode with LOOPWATCH_STALL_CONTEXT=on adds the async context of a stall: the callback type and where it was scheduled, as
 * a complement to the blocking line (the watchdog's own line still names it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';

const fixture = 'promise-stall-context.js';
const file = path.join(FIXTURES, fixture);
const scheduledLine = fs.readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes('SCHEDULED LINE')) + 1;

describe('stall context (debug mode)', () => {
  it('names the callback a stall ran in and the line that scheduled it', async () => {
    const result = await runFixture(fixture, { env: { LOOPWATCH_MODE: 'debug', LOOPWATCH_STALL_CONTEXT: 'on' } });
    expect(result.code).toBe(0);
    const entry = result.report.stallContexts.find((context: any) => context.type === 'Timeout' && context.scheduledAt?.line === scheduledLine);
    expect(entry).toMatchObject({ site: `test/integration/fixtures/${fixture}:${blockingLine(fixture)}`, scheduledAt: { file, function: 'scheduleReport' } });
    expect(result.stderr).toContain(`ran in a Timeout callback scheduled at test/integration/fixtures/${fixture}:${scheduledLine} (scheduleReport)`);
  });

  it.each([
    ['production, even when asked for (no async_hooks there)', { LOOPWATCH_STALL_CONTEXT: 'on' }],
    ['debug mode unless asked for', { LOOPWATCH_MODE: 'debug' }],
  ])('is off in %s', async (_name, env) => {
    const result = await runFixture(fixture, { env });
    expect(result.report.stallContexts).toBeUndefined();
    expect(result.stderr).not.toContain('callback scheduled at');
  });
});
