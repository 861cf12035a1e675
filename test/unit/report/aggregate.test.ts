import { describe, expect, it } from 'vitest';
import { MAX_ROUTES_PER_SITE, StallAggregate, type StallRecord } from '../../../src/report/aggregate';

function stall(file: string, line: number, durationMs: number): StallRecord {
  const site = { file, line, column: 1, function: 'f' };
  return { at: new Date(0).toISOString(), durationMs, threadId: 0, site, api: null, kind: 'cpu', phase: 'runtime', stack: [site], samples: [] };
}

describe('StallAggregate', () => {
  it('aggregates per file:line with count, total and max, keeping the worst stack', () => {
    const aggregate = new StallAggregate(10, 10);
    aggregate.add(stall('/a.js', 1, 100));
    const worst = stall('/a.js', 1, 300);
    worst.site!.column = 7;
    aggregate.add(worst);
    aggregate.add(stall('/b.js', 2, 150));
    const [first, second] = aggregate.siteList();
    expect(first).toMatchObject({ file: '/a.js', line: 1, column: 7, count: 2, totalMs: 400, maxMs: 300 });
    expect(second).toMatchObject({ file: '/b.js', count: 1, totalMs: 150 });
    expect(aggregate.stallCount).toBe(3);
  });

  it('counts a site\'s stalls per request route, at most MAX_ROUTES_PER_SITE routes and then other', () => {
    const aggregate = new StallAggregate(10, 10);
    const request = (route: string) => ({ method: 'GET', route, exact: true });
    aggregate.add({ ...stall('/a.js', 1, 100), request: request('/users/:id') });
    aggregate.add({ ...stall('/a.js', 1, 100), request: request('/users/:id') });
    aggregate.add(stall('/a.js', 1, 100));
    for (let i = 0; i < 10_000; i++) aggregate.add({ ...stall('/a.js', 1, 100), request: request(`/raw/${i}`) });
    const routes = aggregate.siteList()[0]!.routes!;
    expect(routes['GET /users/:id']).toBe(2);
    expect(Object.keys(routes)).toHaveLength(MAX_ROUTES_PER_SITE + 1);
    expect(routes.other).toBe(10_000 - (MAX_ROUTES_PER_SITE - 1));
    // A site no request ever blocked has no routes at all.
    aggregate.add(stall('/b.js', 2, 100));
    expect(aggregate.siteList().find((site) => site.file === '/b.js')!.routes).toBeUndefined();
  });

  it('stays bounded with 100,000 distinct sites, folding the smallest into overflow', () => {
    const aggregate = new StallAggregate(50, 20);
    for (let i = 0; i < 100_000; i++) aggregate.add(stall(`/s${i}.js`, i, 100 + (i % 1000)));
    expect(aggregate.siteList()).toHaveLength(50);
    expect(aggregate.stallList()).toHaveLength(20);
    expect(aggregate.overflow.sites).toBe(100_000 - 50);
    const kept = aggregate.siteList().reduce((sum, site) => sum + site.count, 0);
    expect(kept + aggregate.overflow.count).toBe(100_000);
    expect(aggregate.stallList().every((record) => record.durationMs === 1099)).toBe(true);
  });

  it('counts stalls without a site as unattributed', () => {
    const aggregate = new StallAggregate(10, 10);
    aggregate.add({ ...stall('/a.js', 1, 120), site: null, stack: [], noStackReason: 'stack capture unavailable' });
    aggregate.add({ ...stall('/a.js', 1, 80), site: null, stack: [], noStackReason: 'stack capture unavailable' });
    aggregate.add({ ...stall('/a.js', 1, 90), site: null, stack: [] });
    expect(aggregate.unattributed).toEqual({ count: 3, totalMs: 290, maxMs: 120, reasons: { 'stack capture unavailable': 2, unknown: 1 } });
    expect(aggregate.siteList()).toEqual([]);
  });
});

describe('StallAggregate across threads', () => {
  it('keys sites per thread: one line blocking the main thread and a worker is two sites, each with its threadId', () => {
    const aggregate = new StallAggregate(10, 10);
    aggregate.add(stall('/a.js', 1, 100));
    aggregate.add({ ...stall('/a.js', 1, 300), threadId: 2 });
    aggregate.add({ ...stall('/a.js', 1, 200), threadId: 2 });
    const sites = aggregate.siteList();
    expect(sites).toHaveLength(2);
    expect(sites[0]).toMatchObject({ file: '/a.js', line: 1, threadId: 2, count: 2, totalMs: 500 });
    expect(sites[1]).toMatchObject({ file: '/a.js', line: 1, threadId: 0, count: 1, totalMs: 100 });
  });
});

describe('a stall with parts measured elsewhere', () => {
  it('counts each part at its own site and the rest at the stall\'s site', () => {
    const aggregate = new StallAggregate(10, 10);
    const record = stall('/a.js', 6, 300);
    const jsonSite = { file: '/a.js', line: 12, column: 3, function: 'f' };
    record.elsewhere = [{ api: 'JSON.stringify', durationMs: 45, site: jsonSite, stack: [jsonSite] }];
    aggregate.add(record);
    const sites = aggregate.siteList().map((site) => [site.line, site.kind, site.api, site.totalMs, site.count]);
    expect(sites).toEqual([
      [6, 'cpu', null, 255, 1],
      [12, 'json', 'JSON.stringify', 45, 1],
    ]);
    expect(aggregate.totalMs).toBe(300);
  });
});


describe('StallAggregate, ignored sites (LOOPWATCH_IGNORE_SITES)', () => {
  it('counts ignored stalls apart from every other total, by site, bounded like sites', () => {
    const aggregate = new StallAggregate(2, 10);
    aggregate.addIgnored('src/a.js:1', 100);
    aggregate.addIgnored('src/a.js:1', 150);
    aggregate.addIgnored('src/b.js:2', 200);
    for (let i = 0; i < 1000; i++) aggregate.addIgnored(`src/c${i}.js:3`, 100);
    expect(aggregate.ignored).toEqual({ count: 1003, totalMs: 100_450, bySite: { 'src/a.js:1': 2, 'src/b.js:2': 1, other: 1000 } });
    expect(aggregate.stallCount).toBe(0);
    expect(aggregate.totalMs).toBe(0);
    expect(aggregate.siteList()).toEqual([]);
    expect(aggregate.stallList()).toEqual([]);
  });
});
