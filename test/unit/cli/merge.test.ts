import { describe, expect, it } from 'vitest';
import { normalizeReport } from '../../../src/cli/load-report';
import { mergeReports, siteKey } from '../../../src/cli/merge';
import { mergedReportJson } from '../../../src/cli/merged-json';
import { renderTerminal } from '../../../src/cli/terminal';
import { renderHtml } from '../../../src/cli/html/render';
import { paint } from '../../../src/cli/colors';

const frame = (file: string, line: number, fn = 'work', column = 1) => ({ file, line, column, function: fn });
const site = (over: Record<string, unknown>) => ({
  ...frame('/app/a.js', 3), threadId: 0, phase: 'runtime', api: null, kind: 'cpu', count: 1, totalMs: 100, maxMs: 100, stack: [frame('/app/a.js', 3)], suggestion: 'advice', ...over,
});
const stall = (durationMs: number, over: Record<string, unknown> = {}) => ({
  at: '2026-01-01T00:00:01.000Z', durationMs, threadId: 0, site: frame('/app/a.js', 3), api: null, kind: 'cpu', phase: 'runtime', stack: [], samples: [], ...over,
});
const report = (pid: number, extra: Record<string, unknown> = {}) =>
  normalizeReport({
    schema: 'loopwatch/report@1', pid, startedAt: `2026-01-01T00:00:0${pid}.000Z`, writtenAt: `2026-01-01T00:01:0${pid}.000Z`, reason: 'exit', mode: 'production',
    thresholdMs: 100, node: 'v22.1.0', stacks: true, summary: { stalls: 0, totalBlockedMs: 0, maxStallMs: 0, startup: { stalls: 0, totalBlockedMs: 0 } },
    sites: [], overflow: { sites: 0, count: 0, totalMs: 0, maxMs: 0 }, unattributed: { count: 0, totalMs: 0, maxMs: 0, reasons: {} }, stalls: [], ...extra,
  });

describe('mergeReports', () => {
  it('sums a site over processes, keeps the max and the worst occurrence, and counts per process', () => {
    const merged = mergeReports([
      { file: 'a.json', report: report(1, { sites: [site({ count: 2, totalMs: 300, maxMs: 200, column: 5, api: 'fs.readFileSync', kind: 'sync-api', stack: [frame('/app/a.js', 3, 'first')], suggestion: 'a' })] }) },
      { file: 'b.json', report: report(2, { sites: [site({ count: 3, totalMs: 450, maxMs: 250, column: 9, stack: [frame('/app/a.js', 3, 'worst')], suggestion: 'b' })] }) },
    ]);
    expect(merged.sites).toHaveLength(1);
    expect(merged.sites[0]).toMatchObject({ count: 5, totalMs: 750, maxMs: 250, column: 9, api: null, kind: 'cpu', suggestion: 'b', processes: { '1@a.json': 2, '2@b.json': 3 } });
    expect(merged.sites[0]!.stack[0]!.function).toBe('worst');
  });

  it('sums the routes of a site over processes, bounded like one process bounds them', () => {
    const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`GET /r${i}`, 1]));
    const others = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`POST /s${i}`, 2]));
    const merged = mergeReports([
      { file: 'a.json', report: report(1, { sites: [site({ routes: { 'GET /users/:id': 2, ...many } })] }) },
      { file: 'b.json', report: report(2, { sites: [site({ routes: { 'GET /users/:id': 3, other: 4, ...others } })] }) },
      { file: 'c.json', report: report(3, { sites: [site({})] }) },
    ]);
    const routes = merged.sites[0]!.routes!;
    expect(routes['GET /users/:id']).toBe(5);
    expect(Object.keys(routes).filter((route) => route !== 'other')).toHaveLength(20);
    // Every stall is still counted somewhere: 2 + 15 + 3 + 4 + 30.
    expect(Object.values(routes).reduce((sum, count) => sum + count, 0)).toBe(54);
  });

  it('shows the worst request stall and the routes of a site in the terminal and HTML reports', () => {
    const one = report(1, {
      sites: [site({ routes: { 'GET /users/:id': 2 } })],
      stalls: [stall(812, { request: { method: 'GET', route: '/users/:id', exact: true }, inFlight: 37 }), stall(120, { inFlight: 1 })],
    });
    const text = renderTerminal(one, { paint: paint(false), cwd: '/app', top: 5, width: 100 });
    expect(text).toContain('blocked 812 ms in GET /users/:id; 37 requests waited');
    expect(text).toContain('requests: GET /users/:id ×2');
    const html = renderHtml(one, { cwd: '/app' });
    expect(html).toContain('blocked 812 ms in GET /users/:id; 37 requests waited');
    const guessed = report(1, { sites: [site({})], stalls: [stall(300, { request: { method: 'POST', route: '/orders', exact: false }, inFlight: 0 })] });
    expect(renderTerminal(guessed, { paint: paint(false), cwd: '/app', top: 5, width: 100 })).toContain('blocked 300 ms probably in POST /orders\n');
  });

  it('names the trace of a stall that had one, and keeps the link through a merge; a malformed link is dropped', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const trace = { traceId, spanId: '00f067aa0ba902b7', traceFlags: 1, exact: false };
    const one = report(1, { sites: [site({})], stalls: [stall(300, { request: { method: 'GET', route: '/a', exact: false }, trace })] });
    expect(one.stalls[0]!.trace).toEqual(trace);
    expect(renderTerminal(one, { paint: paint(false), cwd: '/app', top: 5, width: 120 })).toContain(`blocked 300 ms probably in GET /a; trace ${traceId}\n`);
    expect(renderHtml(one, { cwd: '/app' })).toContain(`trace ${traceId}`);
    const merged = JSON.parse(mergedReportJson(mergeReports([{ file: 'a.json', report: one }, { file: 'b.json', report: report(2) }])));
    expect(merged.stalls[0].trace).toEqual(trace);
    const bad = report(1, { stalls: [stall(300, { trace: { traceId: '<script>', spanId: '00f067aa0ba902b7' } })] });
    expect(bad.stalls[0]!.trace).toBeUndefined();
  });

  it('keys worker-thread sites by kind, not by id, and keeps main and worker, start-up and runtime apart', () => {
    const merged = mergeReports([
      { file: 'a.json', report: report(1, { sites: [site({ threadId: 3 }), site({ threadId: 0 }), site({ phase: 'startup' })] }) },
      { file: 'b.json', report: report(2, { sites: [site({ threadId: 7, totalMs: 200, maxMs: 200 })] }) },
    ]);
    expect(merged.sites.map((s) => [siteKey(s), s.count, s.totalMs])).toEqual([
      ['worker:runtime:/app/a.js:3', 2, 300],
      ['main:runtime:/app/a.js:3', 1, 100],
      ['main:startup:/app/a.js:3', 1, 100],
    ]);
  });

  it('sums the summary, start-up, overflow and unattributed (reasons merged); keeps the longest stalls tagged by pid', () => {
    const merged = mergeReports(
      [
        {
          file: 'a.json',
          report: report(1, {
            summary: { stalls: 3, totalBlockedMs: 600, maxStallMs: 300, startup: { stalls: 1, totalBlockedMs: 120 } },
            overflow: { sites: 1, count: 2, totalMs: 50, maxMs: 30 },
            unattributed: { count: 1, totalMs: 110, maxMs: 110, reasons: { 'rate-limited': 1 } },
            stalls: [stall(300), stall(150)],
          }),
        },
        {
          file: 'b.json',
          report: report(2, {
            summary: { stalls: 2, totalBlockedMs: 900, maxStallMs: 700, startup: { stalls: 0, totalBlockedMs: 0 } },
            overflow: { sites: 2, count: 3, totalMs: 80, maxMs: 40 },
            unattributed: { count: 2, totalMs: 220, maxMs: 120, reasons: { 'rate-limited': 1, 'ended first': 1 } },
            stalls: [stall(700), stall(200)],
          }),
        },
      ],
      3,
    );
    expect(merged.summary).toEqual({ stalls: 5, totalBlockedMs: 1500, maxStallMs: 700, startup: { stalls: 1, totalBlockedMs: 120 } });
    expect(merged.overflow).toEqual({ sites: 3, count: 5, totalMs: 130, maxMs: 40 });
    expect(merged.unattributed).toEqual({ count: 3, totalMs: 330, maxMs: 120, reasons: { 'rate-limited': 2, 'ended first': 1 } });
    expect(merged.stalls.map((s) => [s.durationMs, s.pid])).toEqual([[700, 2], [300, 1], [200, 2]]);
    expect(merged.startedAt).toBe('2026-01-01T00:00:01.000Z');
    expect(merged.writtenAt).toBe('2026-01-01T00:01:02.000Z');
    expect(merged.merged!.processes.map((p) => [p.label, p.stalls, p.totalBlockedMs])).toEqual([['1@a.json', 3, 600], ['2@b.json', 2, 900]]);
  });

  it('reads reports from before phases as runtime, with no start-up', () => {
    const old = report(1, { summary: { stalls: 1, totalBlockedMs: 100, maxStallMs: 100 }, sites: [{ ...site({}), phase: undefined }], stalls: [{ ...stall(100), phase: undefined }] });
    const merged = mergeReports([{ file: 'old.json', report: old }, { file: 'new.json', report: report(2, { sites: [site({})] }) }]);
    expect(merged.summary.startup).toEqual({ stalls: 0, totalBlockedMs: 0 });
    expect(merged.sites).toHaveLength(1);
    expect(merged.sites[0]).toMatchObject({ phase: 'runtime', count: 2, processes: { '1@old.json': 1, '2@new.json': 1 } });
  });

  it('sums sync APIs per api and promise findings per location and message', () => {
    const promises = (count: number) => ({
      floating: [{ ...frame('/app/c.js', 5, 'save'), count }],
      unhandledRejections: [{ name: 'Error', message: 'boom', site: frame('/app/b.js', 2), stack: [], count }],
    });
    const merged = mergeReports([
      { file: 'a.json', report: report(1, { syncApis: { 'fs.readFileSync': { calls: 10, totalMs: 120, slowCalls: 1, maxMs: 110 } }, promises: promises(1) }) },
      {
        file: 'b.json',
        report: report(2, {
          syncApis: { 'fs.readFileSync': { calls: 5, totalMs: 30, slowCalls: 0, maxMs: 20 }, 'zlib.gzipSync': { calls: 1, totalMs: 5, slowCalls: 0, maxMs: 5 } },
          promises: { ...promises(2), unhandledRejections: [...promises(2).unhandledRejections, { name: 'TypeError', message: 'other', site: frame('/app/b.js', 9), stack: [], count: 1 }] },
        }),
      },
    ]);
    expect(merged.syncApis).toEqual({ 'fs.readFileSync': { calls: 15, totalMs: 150, slowCalls: 1, maxMs: 110 }, 'zlib.gzipSync': { calls: 1, totalMs: 5, slowCalls: 0, maxMs: 5 } });
    expect(merged.floating).toEqual([{ ...frame('/app/c.js', 5, 'save'), count: 3 }]);
    expect(merged.rejections.map((r) => [r.message, r.count])).toEqual([['Error: boom', 3], ['TypeError: other', 1]]);
  });

  it('writes a report@1 file that loads again and merges again, processes carried over', () => {
    const first = mergeReports([
      { file: 'a.json', report: report(1, { sites: [site({})], promises: { unhandledRejections: [{ name: 'Error', message: 'boom', site: frame('/app/b.js', 2), stack: [], count: 1 }] } }) },
      { file: 'b.json', report: report(2, { sites: [site({})] }) },
    ]);
    const json = JSON.parse(mergedReportJson(first));
    expect(json.schema).toBe('loopwatch/report@1');
    expect(json.merged.processes).toHaveLength(2);
    const reloaded = normalizeReport(json);
    expect(reloaded.sites[0]!.processes).toEqual({ '1@a.json': 1, '2@b.json': 1 });
    expect(reloaded.rejections.map((r) => [r.message, r.count])).toEqual([['Error: boom', 1]]);
    const again = mergeReports([{ file: 'merged.json', report: reloaded }, { file: 'c.json', report: report(3, { sites: [site({})] }) }]);
    expect(again.merged!.processes.map((p) => p.label)).toEqual(['1@a.json', '2@b.json', '3@c.json']);
    expect(again.sites[0]).toMatchObject({ count: 3, processes: { '1@a.json': 1, '2@b.json': 1, '3@c.json': 1 } });
  });
});

describe('rendering a merged report', () => {
  const merged = mergeReports([
    { file: '/app/r/a.json', report: report(1, { summary: { stalls: 1, totalBlockedMs: 100, maxStallMs: 100 }, sites: [site({})] }) },
    { file: '/app/r/b.json', report: report(2, { summary: { stalls: 1, totalBlockedMs: 100, maxStallMs: 100 }, sites: [site({})] }) },
  ]);

  it('terminal: names the processes in the header and says in how many processes a site blocked', () => {
    const text = renderTerminal(merged, { paint: paint(false), cwd: '/app', top: 5, width: 80 });
    expect(text).toContain('loopwatch report  merged from 2 reports (pids 1, 2)');
    expect(text).toContain('pid 2 · r/b.json · node v22.1.0 · production mode');
    expect(text).toContain('2 stalls · max 100 ms · kind cpu · in 2 processes');
  });

  it('html: the header, a processes table, and the per-process counts of a site', () => {
    const html = renderHtml(merged, { cwd: '/app' });
    expect(html).toContain('merged from 2 reports (pids 1, 2)');
    expect(html).toContain('<table id="processes">');
    expect(html).toContain('<td class="loc">r/a.json</td>');
    expect(html).toContain('· in 2 processes');
    expect(html).toContain('title="1@/app/r/a.json: 1\n2@/app/r/b.json: 1"');
  });
});
