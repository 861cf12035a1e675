import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ESM_TOP_LEVEL_PHASE, FIXTURES, blockingLine, runFixture } from '../run-fixture';

const HAS_IMPORT_CHANNEL = ESM_TOP_LEVEL_PHASE === 'startup';

const siteAt = (report: any, file: string, line: number, phase: string) =>
  report.sites.find((site: any) => site.file === file && site.line === line && site.phase === phase);

describe('start-up apart from runtime', () => {
  it('a dependency loaded at start-up is module loading at its require() line, in the start-up phase; a lazy require() later is runtime', async () => {
    const file = path.join(FIXTURES, 'phase-cjs.js');
    const result = await runFixture('phase-cjs.js', { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const sites = JSON.stringify(result.report.sites.map((s: any) => `${s.phase} ${s.kind} ${s.line} ${s.api}`));
    const loading = siteAt(result.report, file, blockingLine('phase-cjs.js', 'LOADING LINE'), 'startup');
    expect(loading, sites).toMatchObject({ kind: 'module-loading', api: null });
    expect(loading.suggestion).toContain('during start-up');
    expect(loading.suggestion).toContain('enableCompileCache');
    expect(siteAt(result.report, file, blockingLine('phase-cjs.js', 'RUNTIME LINE'), 'runtime'), sites).toMatchObject({ kind: 'cpu' });
    const lazy = siteAt(result.report, file, blockingLine('phase-cjs.js', 'RUNTIME LOADING LINE'), 'runtime');
    expect(lazy, sites).toMatchObject({ kind: 'module-loading', api: null });
    expect(lazy.suggestion).toContain('Load the module once at start-up');
    // No site is a Node frame, whatever the loader was doing when the stack was read.
    for (const site of result.report.sites) expect(site.file.startsWith('node:'), sites).toBe(false);
    expect(result.report.summary.startup.stalls).toBeGreaterThanOrEqual(1);
    expect(result.stderr).toMatch(/loopwatch: event loop blocked \d+ ms during start-up loading modules at .*phase-cjs\.js:3 /);
    expect(result.stderr).toMatch(/loopwatch: event loop blocked \d+ ms at .*phase-cjs\.js:7 /);
  });

  it(
    HAS_IMPORT_CHANNEL
      ? "an ES module entry's top-level code is start-up, before and after a top-level await; a timer callback is runtime"
      : 'an ES module entry on Node 20 (no module.import channel): start-up ends at the first loop turn, usually before its top-level code runs (docs/report.md, "Phases")',
    async () => {
      const result = await runFixture('phase-esm.mjs', { timeoutMs: 30_000 });
      expect(result.code).toBe(0);
      // By stall, not by site: the process's first stall can come before the capture thread is up.
      const phases = result.report.stalls
        .slice()
        .sort((a: any, b: any) => Date.parse(a.at) - Date.parse(b.at))
        .map((stall: any) => stall.phase);
      if (HAS_IMPORT_CHANNEL) expect(phases).toEqual(['startup', 'startup', 'runtime']);
      else {
        // Node 20: the code before the first await runs when the entry file's read (on the thread
        // pool) comes back, usually after the first loop turn, sometimes before it (docs/report.md).
        expect(['runtime', 'startup']).toContain(phases[0]);
        expect(phases.slice(1)).toEqual(['runtime', 'runtime']);
      }
      const file = path.join(FIXTURES, 'phase-esm.mjs');
      expect(siteAt(result.report, file, blockingLine('phase-esm.mjs', 'RUNTIME LINE'), 'runtime'), JSON.stringify(result.report.sites)).toBeDefined();
    },
  );
});
