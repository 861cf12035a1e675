import { describe, expect, it } from 'vitest';
import { normalizeReport } from '../../../src/cli/load-report';
import { renderHtml } from '../../../src/cli/html/render';

const frame = (file: string, line: number, fn: string) => ({ file, line, column: 1, function: fn });
const base = {
  schema: 'loopwatch/report@1', pid: 7, startedAt: '2026-01-01T00:00:00.000Z', writtenAt: '2026-01-01T00:00:05.000Z', reason: 'exit',
  mode: 'debug', thresholdMs: 50, node: 'v20', stacks: true, summary: { stalls: 2, totalBlockedMs: 900, maxStallMs: 600 },
  overflow: { sites: 0, count: 0, totalMs: 0, maxMs: 0 }, unattributed: { count: 1, totalMs: 60, maxMs: 60 },
};
const site = { ...frame('/app/a.js', 3, 'crunch'), api: null, kind: 'cpu', count: 2, totalMs: 840, maxMs: 600, stack: [frame('/app/a.js', 3, 'crunch'), frame('node:internal/timers', 9, 'listOnTimeout')], suggestion: 'Move it:\n```\nrun(<x>)\n```' };

describe('renderHtml', () => {
  const html = renderHtml(
    normalizeReport({
      ...base,
      sites: [site],
      stalls: [
        { at: '2026-01-01T00:00:01.000Z', durationMs: 600, threadId: 0, site: site.stack[0], api: null, kind: 'cpu', stack: site.stack, samples: [{ atMs: 100, stack: [frame('/app/a.js', 4, 'inner')] }, { atMs: 200, stack: [frame('/app/a.js', 4, 'inner')] }] },
        { at: '2026-01-01T00:00:03.000Z', durationMs: 240, threadId: 0, site: site.stack[0], api: null, kind: 'cpu', stack: site.stack, samples: [] },
      ],
      syncApis: { 'fs.readFileSync': { calls: 10, totalMs: 120, slowCalls: 1, maxMs: 110 } },
      promises: { unhandledRejections: [{ name: 'Error', message: '<b>bad</b>', site: frame('/app/b.js', 2, 'f'), createdAt: null, stack: [], count: 2 }], floating: [{ ...frame('/app/c.js', 5, 'save'), count: 1 }] },
    }),
    { cwd: '/app' },
  );

  it('links each timeline bar to its site and keeps one bar per stall', () => {
    expect(html.match(/<a href="#site-1"><rect/g)).toHaveLength(2);
    expect(html).toContain('id="site-1"');
  });

  it('summarizes where the longest stall went from its samples', () => {
    expect(html).toContain('Samples during the longest stall (600 ms)');
    expect(html).toMatch(/<span>2×<\/span><span class="loc">inner a\.js:4<\/span>/);
    expect(html.match(/<details class="sample">/g)).toHaveLength(2);
  });

  it('renders advice code blocks escaped, sync-API totals, rejections and floating promises', () => {
    expect(html).toContain('<pre><code>run(&#60;x&#62;)</code></pre>');
    expect(html).toContain('<table id="sync-apis">');
    expect(html).toContain('&#60;b&#62;bad&#60;/b&#62;');
    expect(html).not.toContain('<b>bad</b>');
    expect(html).toContain('never awaited');
    expect(html).toContain('1 stall without a stack');
  });

  it('loads nothing from the network', () => {
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  });
});
