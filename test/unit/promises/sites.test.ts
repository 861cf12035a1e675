import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FLOATING_SITES, createSiteTable, siteOf } from '../../../src/promises/sites';
import { matchesSiteRule, parseSiteRule } from '../../../src/stack/site-rules';

const rules = { appPaths: [], agentRoots: ['/opt/loopwatch/dist', '/opt/loopwatch/src'] };
const frame = (file: string, line = 1, fn = 'f') => ({ file, line, column: 3, function: fn });

describe('siteOf', () => {
  it('is the creating app line', () => {
    expect(siteOf([frame('/srv/app/jobs.js', 42, 'enqueue'), frame('/srv/app/main.js', 7)], rules)).toEqual(frame('/srv/app/jobs.js', 42, 'enqueue'));
  });

  it('never blames the app for a promise that Node itself created', () => {
    expect(siteOf([frame('node:internal/deps/undici/undici', 100), frame('/srv/app/main.js', 7)], rules)).toBeNull();
    expect(siteOf([], rules)).toBeNull();
  });

  it('never reports loopwatch itself', () => {
    expect(siteOf([frame('/opt/loopwatch/dist/src/agent.js'), frame('/srv/app/main.js')], rules)).toBeNull();
  });

  it('names the app line below a dependency that created the promise', () => {
    expect(siteOf([frame('/srv/app/node_modules/got/index.js', 9), frame('/srv/app/main.js', 7)], rules)?.line).toBe(7);
    expect(siteOf([frame('/srv/app/node_modules/got/index.js', 9)], rules)?.line).toBe(9);
  });
});

describe('LOOPWATCH_FLOATING_IGNORE rules', () => {
  const cwd = '/srv/app';
  it('parses file, file:line, and rejects what names no file', () => {
    expect(parseSiteRule('src/jobs.ts:42', cwd, false)).toMatchObject({ path: 'src/jobs.ts', line: 42, phase: null });
    expect(parseSiteRule('src/background', cwd, false)).toMatchObject({ path: 'src/background', line: null });
    // Floating promises have no phase: the prefix is part of the path.
    expect(parseSiteRule('startup:x.js', cwd, false)).toMatchObject({ path: 'startup:x.js', phase: null });
    expect(parseSiteRule(':42', cwd, false)).toBeNull();
    expect(parseSiteRule('src/jobs.ts:0', cwd, false)).toBeNull();
  });

  it('matches a file, a line of it, a folder, or a path tail', () => {
    const site = frame(path.join(cwd, 'src', 'jobs.ts'), 42);
    const rule = (entry: string) => [parseSiteRule(entry, cwd, false)!];
    const isIgnored = matchesSiteRule;
    expect(isIgnored(site, rule('src/jobs.ts'), cwd)).toBe(true);
    expect(isIgnored(site, rule('src/jobs.ts:42'), cwd)).toBe(true);
    expect(isIgnored(site, rule('src/jobs.ts:43'), cwd)).toBe(false);
    expect(isIgnored(site, rule('src'), cwd)).toBe(true);
    expect(isIgnored(site, rule('jobs.ts:42'), cwd)).toBe(true);
    expect(isIgnored(site, rule('obs.ts'), cwd)).toBe(false);
    expect(isIgnored(site, rule('src/other.ts'), cwd)).toBe(false);
  });
});

describe('createSiteTable', () => {
  it('counts per site and says when a site is new', () => {
    const table = createSiteTable(rules, [], '/srv/app');
    expect(table.add([frame('/srv/app/a.js', 1)])?.first).toBe(true);
    expect(table.add([frame('/srv/app/a.js', 1)])?.first).toBe(false);
    expect(table.add([frame('/srv/app/a.js', 2)])?.first).toBe(true);
    expect(table.snapshot().sites.map((site) => [site.line, site.count])).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it('keeps a bounded number of sites and counts the rest', () => {
    const table = createSiteTable(rules, [], '/srv/app');
    for (let line = 1; line <= MAX_FLOATING_SITES + 5; line++) table.add([frame('/srv/app/a.js', line)]);
    // Still a finding (counted in the metrics), just not a new site.
    expect(table.add([frame('/srv/app/a.js', MAX_FLOATING_SITES + 99)])).toEqual({ site: null, first: false });
    expect(table.snapshot().sites).toHaveLength(MAX_FLOATING_SITES);
    expect(table.snapshot().overflow).toBe(6);
  });

  it('skips ignored and internal sites', () => {
    const table = createSiteTable(rules, [parseSiteRule('a.js', '/srv/app', false)!], '/srv/app');
    expect(table.add([frame('/srv/app/a.js', 1)])).toBeNull();
    expect(table.add([frame('node:internal/x', 1)])).toBeNull();
    expect(table.snapshot().sites).toEqual([]);
  });
});
