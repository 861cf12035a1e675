/**
 * Floating promises: reported at the exact line that created them (source-mapped), and nothing on
 * a clean app. The fixtures force GCs (`--expose-gc`, promise-helpers/settle.js) and print
 * loopwatch's live counter, so the garbage-collection path is checked deterministically; what is
 * still alive at exit is found by the exit sweep.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { FIXTURES, runFixture, tempDir, type RunOptions } from '../run-fixture';

/** The 1-based line in a fixture marked `// FLOATING LINE`. */
function floatingLine(file: string): number {
  const index = fs.readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes('FLOATING LINE'));
  if (index < 0) throw new Error(`${file} has no FLOATING LINE marker`);
  return index + 1;
}

const quiet = { LOOPWATCH_THRESHOLD_MS: '600000', LOOPWATCH_HANG_MS: '600000' };

function run(script: string, env: Record<string, string>, extra: RunOptions = {}) {
  return runFixture(script, { nodeArgs: ['--expose-gc'], env: { ...quiet, ...env }, ...extra });
}

function floatingLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.includes('was never awaited or handled'));
}

describe.each([
  ['debug mode', { LOOPWATCH_MODE: 'debug' }],
  ['production, LOOPWATCH_FLOATING_SAMPLE=1', { LOOPWATCH_FLOATING_SAMPLE: '1' }],
])('floating promises (%s)', (_name, env) => {
  it.each([
    ['promise-forgotten-await.js', 'main', true],
    ['promise-dropped-then.js', 'refresh', true],
    // Its rejection crashes the app (exit 1, as without loopwatch): found by the exit sweep.
    ['promise-fire-and-forget.js', 'onSignup', false],
  ])('%s is reported at its creation line', async (fixture, fn, collected) => {
    const file = path.join(FIXTURES, fixture);
    const line = floatingLine(file);
    const [result, bare] = await Promise.all([run(fixture, env), runFixture(fixture, { withoutAgent: true, nodeArgs: ['--expose-gc'] })]);
    expect(result.code).toBe(bare.code);
    expect(floatingLines(result.stderr)).toEqual([
      `loopwatch: promise created at test/integration/fixtures/${fixture}:${line} (${fn}) was never awaited or handled`,
    ]);
    expect(result.report.promises.floating).toEqual([{ file, line, column: expect.any(Number), function: fn, count: 1 }]);
    if (collected) expect(result.stdout).toContain('floating before exit: 1');
  });

  it('reports nothing on a clean app (http, fetch, fs.promises, Promise.all, .then chains, late handling)', async () => {
    const result = await run('promise-clean.js', env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"lateError":"handled later"');
    expect(result.stdout).toContain('floating before exit: 0');
    expect(floatingLines(result.stderr)).toEqual([]);
    expect(result.report.promises.floating).toEqual([]);
    expect(result.report.promises.floatingDetection).not.toBe('off');
  });
});

describe('floating promises: settings', () => {
  it('are off in production by default', async () => {
    const result = await run('promise-forgotten-await.js', {});
    expect(floatingLines(result.stderr)).toEqual([]);
    expect(result.stdout).toContain('floating before exit: 0');
    expect(result.report.promises).toMatchObject({ floating: [], floatingDetection: 'off' });
  });

  it('skip the sites in LOOPWATCH_FLOATING_IGNORE, and only those', async () => {
    const line = floatingLine(path.join(FIXTURES, 'promise-forgotten-await.js'));
    const [ignored, other] = await Promise.all([
      run('promise-forgotten-await.js', { LOOPWATCH_MODE: 'debug', LOOPWATCH_FLOATING_IGNORE: `test/integration/fixtures/promise-forgotten-await.js:${line}` }),
      run('promise-forgotten-await.js', { LOOPWATCH_MODE: 'debug', LOOPWATCH_FLOATING_IGNORE: `promise-forgotten-await.js:${line + 1}` }),
    ]);
    expect(floatingLines(ignored.stderr)).toEqual([]);
    expect(ignored.report.promises.floating).toEqual([]);
    expect(other.report.promises.floating).toHaveLength(1);
  });

  it('name ES modules by path, and log JSON lines with LOOPWATCH_LOG_FORMAT=json', async () => {
    const file = path.join(FIXTURES, 'promise-esm.mjs');
    const result = await run('promise-esm.mjs', { LOOPWATCH_MODE: 'debug', LOOPWATCH_LOG_FORMAT: 'json' });
    expect(result.code).toBe(0);
    expect(result.report.promises.floating).toEqual([{ file, line: floatingLine(file), column: expect.any(Number), function: 'record', count: 1 }]);
    const lines = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .filter((line) => line.event === 'floating-promise');
    expect(lines).toMatchObject([{ source: 'loopwatch', site: `test/integration/fixtures/promise-esm.mjs:${floatingLine(file)}`, function: 'record' }]);
  });

  it('map TypeScript creation lines through source maps', async () => {
    const source = path.join(FIXTURES, 'promise-ts', 'jobs.ts');
    const out = tempDir('loopwatch-promise-ts-');
    const compiled = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, sourceMap: true },
    });
    const map = JSON.parse(compiled.sourceMapText!);
    map.sources = [source];
    const outFile = path.join(out, 'jobs.js');
    fs.writeFileSync(outFile, compiled.outputText.replace(/\/\/# sourceMappingURL=.*$/m, '//# sourceMappingURL=jobs.js.map'));
    fs.writeFileSync(path.join(out, 'jobs.js.map'), JSON.stringify(map));
    const compiledLine = compiled.outputText.split('\n').findIndex((text) => text.includes('FLOATING LINE')) + 1;
    expect(compiledLine).not.toBe(floatingLine(source));

    const result = await run(outFile, { LOOPWATCH_MODE: 'debug' });
    expect(result.report.promises.floating).toEqual([{ file: source, line: floatingLine(source), column: expect.any(Number), function: 'enqueue', count: 1 }]);
  });

  it('attach the creation site to unhandled rejections in debug mode only', async () => {
    const file = path.join(FIXTURES, 'promise-fire-and-forget.js');
    const [debug, production] = await Promise.all([run('promise-fire-and-forget.js', { LOOPWATCH_MODE: 'debug' }), run('promise-fire-and-forget.js', {})]);
    const [entry] = debug.report.promises.unhandledRejections;
    expect(entry).toMatchObject({ name: 'Error', message: 'SMTP refused ada@example.com', createdAt: { file, line: floatingLine(file), function: 'onSignup' } });
    expect(debug.stderr).toContain(`the promise was created at test/integration/fixtures/promise-fire-and-forget.js:${floatingLine(file)} (onSignup)`);
    expect(production.report.promises.unhandledRejections[0].createdAt).toBeNull();
  });
});
