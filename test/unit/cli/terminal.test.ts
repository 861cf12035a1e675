import { describe, expect, it } from 'vitest';
import { paint, shouldColor } from '../../../src/cli/colors';
import { normalizeReport } from '../../../src/cli/load-report';
import { renderTerminal, wrap } from '../../../src/cli/terminal';
import { adviceParts } from '../../../src/cli/format';
import { parseArgs } from '../../../src/cli/args';

const site = (file: string, totalMs: number) => ({
  file, line: 3, column: 1, function: 'work', api: null, kind: 'cpu', count: 2, totalMs, maxMs: totalMs / 2, stack: [],
  suggestion: 'Do this:\n```\nconst x = await y();\n```\nBecause.',
});
const report = (sites: unknown[], extra: Record<string, unknown> = {}) =>
  normalizeReport({
    schema: 'loopwatch/report@1', pid: 1, startedAt: '2026-01-01T00:00:00.000Z', writtenAt: '2026-01-01T00:00:10.000Z', reason: 'exit',
    mode: 'production', thresholdMs: 100, node: 'v20', stacks: true, summary: { stalls: 4, totalBlockedMs: 1000, maxStallMs: 400 },
    sites, overflow: { sites: 0, count: 0, totalMs: 0, maxMs: 0 }, unattributed: { count: 0, totalMs: 0, maxMs: 0 }, stalls: [], ...extra,
  });
const options = { paint: paint(false), cwd: '/app', top: 1, width: 80 };

describe('renderTerminal', () => {
  it('says why stalls had no stack, most frequent reason first, and the usual causes for older reports', () => {
    const reasons = { 'stack capture rate-limited (LOOPWATCH_MAX_CAPTURES_PER_MIN)': 1, 'the stall ended before the watchdog saw it': 2 };
    const text = renderTerminal(report([], { unattributed: { count: 3, totalMs: 600, maxMs: 250, reasons } }), options);
    expect(text).toContain('3 stalls without a stack (600 ms, longest 250 ms): 2 the stall ended before the watchdog saw it; 1 stack capture rate-limited (LOOPWATCH_MAX_CAPTURES_PER_MIN).');
    const older = renderTerminal(report([], { unattributed: { count: 1, totalMs: 200, maxMs: 200 } }), options);
    expect(older).toContain('1 stall without a stack (200 ms, longest 200 ms): stack capture rate-limited, unavailable, or the stall ended first.');
  });

  it('shows the top sites, folds the rest into one line, renders advice code with a gutter', () => {
    const text = renderTerminal(report([site('/app/a.js', 700), site('/app/b.js', 300)]), options);
    expect(text).toContain('#1 a.js:3 work()  700 ms (70%) blocked');
    expect(text).toContain('2 stalls · max 350 ms · kind cpu');
    expect(text).not.toContain('b.js:3');
    expect(text).toContain('… and 1 more site (300 ms in total)');
    expect(text).toContain('   → Do this:');
    expect(text).toContain('     │ const x = await y();');
    expect(text).toContain('(source not readable: a.js)');
  });

  it('ends with one line about stalls at ignored sites (LOOPWATCH_IGNORE_SITES), none for older reports', () => {
    const bySite = { 'src/migrate.js:12': 2, 'a.js:1': 1, 'b.js:1': 1, 'c.js:1': 3 };
    const text = renderTerminal(report([], { ignored: { count: 7, totalMs: 1500, bySite } }), options);
    expect(text).toContain('7 stalls at ignored sites (LOOPWATCH_IGNORE_SITES, 1.50 s): c.js:1 ×3, src/migrate.js:12 ×2, a.js:1 ×1 and 1 more.');
    expect(renderTerminal(report([]), options)).not.toContain('ignored');
  });

  it('says so plainly when there were no stalls', () => {
    const text = renderTerminal(report([], { summary: { stalls: 0, totalBlockedMs: 0, maxStallMs: 0 } }), options);
    expect(text).toContain('No stalls');
  });

  it('lists unhandled rejections and floating promises with their advice', () => {
    const text = renderTerminal(
      report([], { promises: { unhandledRejections: [{ name: 'TypeError', message: 'boom', site: { file: '/app/x.js', line: 4, column: 1, function: 'f' }, createdAt: null, stack: [], count: 1 }], floating: [{ file: '/app/y.js', line: 9, column: 2, function: 'save', count: 3 }] } }),
      options,
    );
    expect(text).toContain('Unhandled promise rejections (1)');
    expect(text).toContain('✗ TypeError: boom at x.js:4');
    expect(text).toContain('Promises never awaited (3)');
    expect(text).toContain('y.js:9 save() ×3');
    expect(text).toContain('void promise.catch(');
  });

  it('computes advice for reports written before suggestions existed', () => {
    const { suggestion: _omitted, ...old } = site('/app/a.js', 100);
    expect(report([old]).sites[0]!.suggestion).toMatch(/worker pool \(piscina\)/);
  });
});

describe('helpers', () => {
  it('shouldColor: TTY only, NO_COLOR wins, FORCE_COLOR forces', () => {
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(paint(true).red('x')).toBe('\u001b[31mx\u001b[39m');
  });

  it('wrap keeps words whole', () => {
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrap('averyveryverylongword x', 5)).toEqual(['averyveryverylongword', 'x']);
  });

  it('adviceParts splits prose and fenced code', () => {
    expect(adviceParts('a\n```\ncode()\n```\nb')).toEqual([{ code: false, text: 'a' }, { code: true, text: 'code()' }, { code: false, text: 'b' }]);
  });

  it('parseArgs: valued flags, inline values, unknown flags rejected', () => {
    expect(parseArgs(['r.json', '--html=o.html', '--top', '3'], ['html', 'top'])).toEqual({ positional: ['r.json'], flags: new Map([['html', 'o.html'], ['top', '3']]) });
    expect(() => parseArgs(['--nope'], ['html'])).toThrow(/unknown option --nope/);
    expect(() => parseArgs(['--html'], ['html'])).toThrow(/needs a value/);
  });
});
