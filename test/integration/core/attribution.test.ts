import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ESM_TOP_LEVEL_LOG, ESM_TOP_LEVEL_PHASE, FIXTURES, blockingLine, runFixture, tempDir } from '../run-fixture';

/** The worst site must be the fixture's marked line, and the stall must have been logged there. */
async function expectSite(script: string, expected: { file: string; line: number; fn?: string; logPhase?: string }, runScript = script) {
  const result = await runFixture(runScript);
  expect(result.code).toBe(0);
  expect(result.report, result.stderr).not.toBeNull();
  const site = result.report.sites.find((candidate: any) => candidate.file === expected.file && candidate.line === expected.line);
  expect(site, JSON.stringify(result.report.sites.map((s: any) => `${s.file}:${s.line}`))).toBeDefined();
  if (expected.fn !== undefined) expect(site.function).toBe(expected.fn);
  expect(site.count).toBeGreaterThanOrEqual(1);
  expect(site.stack[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
  expect(result.stderr).toMatch(new RegExp(`loopwatch: event loop blocked \\d+ ms${expected.logPhase ?? ''} at .*${path.basename(expected.file)}:${expected.line}`));
  return { result, site };
}

describe('the blocking line is named exactly', () => {
  it('a CPU loop in a timer callback', async () => {
    const { result, site } = await expectSite('cpu-timer.js', { file: path.join(FIXTURES, 'cpu-timer.js'), line: blockingLine('cpu-timer.js'), fn: 'spin' });
    expect(site.maxMs).toBeGreaterThanOrEqual(580);
    expect(site.maxMs).toBeLessThan(2000);
    expect(result.report.stalls[0].site.line).toBe(blockingLine('cpu-timer.js'));
    expect(site.kind).toBe('cpu');
    // spin() lives in the entry file, which starts a timer at its top level: a worker that required
    // cpu-timer.js would run the app again, so the advice moves spin() out first (issue 12, item 9).
    expect(site.suggestion).toMatch(
      /^Move spin\(\) out of cpu-timer\.js into a module of its own first, cpu-timer-work\.js next to it: cpu-timer\.js is the file the app was started with, and line 7 \(`setTimeout\(\(\) => \{`\) looks like it starts a timer/,
    );
    expect(site.suggestion).toContain("const { spin } = require('./cpu-timer-work');");
    expect(site.suggestion).not.toContain("require('./cpu-timer')");
    expect(result.stdout).toBe('done\n');
  });

  it('catastrophic regex backtracking', async () => {
    const { site } = await expectSite('regex.js', { file: path.join(FIXTURES, 'regex.js'), line: blockingLine('regex.js') });
    expect(site.kind).toBe('regex');
    expect(site.suggestion).toContain('(a+)+');
  });

  it('a stall whose first stack has no app frame (a library working before it calls back): a later sample names the app line', async () => {
    const app = path.join(FIXTURES, 'late-app-frame', 'app.js');
    const result = await runFixture(app, { env: { LOOPWATCH_APP_PATHS: app } });
    expect(result.code, result.stderr).toBe(0);
    const stall = result.report.stalls.find((each: any) => each.durationMs >= 700);
    expect(stall?.site, JSON.stringify(result.report.stalls.map((each: any) => [each.durationMs, each.site]))).toMatchObject({ file: app, line: blockingLine(app) });
    expect(result.report.sites.map((site: any) => site.file)).not.toContain(path.join(FIXTURES, 'late-app-frame', 'lib.js'));
    // Where the first part went is not lost: the library's stack is the first sample.
    expect(stall.samples[0].stack[0]).toMatchObject({ file: path.join(FIXTURES, 'late-app-frame', 'lib.js'), function: 'spin' });
  });

  it('an ES module that blocks after a top-level await', async () => {
    const { site } = await expectSite('esm-after-await.mjs', {
      file: path.join(FIXTURES, 'esm-after-await.mjs'),
      line: blockingLine('esm-after-await.mjs'),
      fn: 'crunch',
      logPhase: ESM_TOP_LEVEL_LOG,
    });
    expect(site.phase).toBe(ESM_TOP_LEVEL_PHASE);
  });

  it('a dependency doing CPU work: the app line that called it', async () => {
    const { site } = await expectSite('library-cpu.js', { file: path.join(FIXTURES, 'library-cpu.js'), line: blockingLine('library-cpu.js') });
    expect(site.kind).toBe('dependency');
    expect(site.suggestion).toContain('dependency typescript');
  });

  it('TypeScript compiled with source maps, where type-only lines shift the output', async () => {
    const source = path.join(FIXTURES, 'ts', 'orders.ts');
    const out = tempDir('loopwatch-ts-');
    const compiled = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, sourceMap: true },
    });
    const outFile = path.join(out, 'orders.js');
    // The map points back to the original .ts file, as tsc's does with sourceRoot/sources.
    const map = JSON.parse(compiled.sourceMapText!);
    map.sources = [source];
    fs.writeFileSync(outFile, compiled.outputText.replace(/\/\/# sourceMappingURL=.*$/m, '//# sourceMappingURL=orders.js.map'));
    fs.writeFileSync(path.join(out, 'orders.js.map'), JSON.stringify(map));
    const compiledLine = compiled.outputText.split('\n').findIndex((line) => line.includes('BLOCKING LINE')) + 1;
    expect(compiledLine).not.toBe(blockingLine(source));
    await expectSite(source, { file: source, line: blockingLine(source), fn: 'summarize' }, outFile);
  });
});
