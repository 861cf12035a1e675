/**
 * Stalls with no app frame on the stack (README, "When no app code is on the stack"): the site is a
 * frame of the package that owns the work, named, with kind `dependency`; never a `node:` frame.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, blockingLine, runFixture, tempDir, waitFor, type RunResult } from '../run-fixture';

const ROUTER = fs.realpathSync(path.join(FIXTURES, 'node_modules', 'tiny-router', 'index.js'));
const SEARCHES = 3;

/** Starts `script`, sends it SEARCHES search requests one after another, then stops it with SIGTERM. */
async function searchServer(script: string): Promise<RunResult> {
  let stdout = '';
  let stop: () => void = () => undefined;
  const running = runFixture(script, {
    timeoutMs: 60_000,
    onSpawn: (child) => {
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      stop = () => child.kill('SIGTERM');
    },
  });
  try {
    const port = await waitFor(() => /listening (\d+)/.exec(stdout)?.[1], 15_000, 'the server to listen');
    for (let i = 0; i < SEARCHES; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/search?q=gamma${i}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    // The last stall is posted at the loop's next turn; give the watchdog a moment to record it.
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    stop();
  }
  return running;
}

function expectOneRouterSite(result: RunResult, role: string) {
  expect(result.report, result.stderr).not.toBeNull();
  const runtime = result.report.stalls.filter((stall: any) => stall.phase === 'runtime' && stall.durationMs >= 200);
  expect(runtime.length, result.stderr).toBeGreaterThanOrEqual(SEARCHES);
  // On a loaded machine a capture can come after the loop turned: such a stall has no site at all.
  const named = runtime.filter((stall: any) => stall.site !== null);
  expect(named.length).toBeGreaterThanOrEqual(SEARCHES - 1);
  for (const stall of named) expect(stall.site, JSON.stringify(stall.stack.slice(0, 3))).toMatchObject({ file: ROUTER, line: blockingLine(ROUTER) });
  // One request's cost is one site, not one per leaf function the captures landed in.
  const sites = result.report.sites.filter((site: any) => site.phase === 'runtime');
  expect(sites.map((site: any) => `${site.file}:${site.line}`)).toEqual([`${ROUTER}:${blockingLine(ROUTER)}`]);
  expect(sites[0]).toMatchObject({ package: 'tiny-router', packageRole: role, kind: 'dependency' });
  expect(sites[0].count).toBe(named.length);
  // The leaf library did the work, and the advice says so.
  expect(sites[0].stack[0].file).toContain(`${path.sep}tiny-search${path.sep}`);
  expect(sites[0].suggestion).toContain('tiny-search');
  for (const site of result.report.sites) expect(site.file).not.toMatch(/^node:/);
}

describe('a stall with no app frame names the package that owns the work', () => {
  it('tsc run from node_modules: a frame of typescript, the program being run', async () => {
    const dir = tempDir('loopwatch-tsc-');
    // About 2 s of parsing and checking, in one synchronous run.
    const lines = Array.from({ length: 3000 }, (_, i) => `export function f${i}(a: number, b: string): { n: number; s: string } { return { n: a * ${i}, s: b + '${i}' }; }`);
    fs.writeFileSync(path.join(dir, 'big.ts'), lines.join('\n'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2020', lib: ['es2020'], types: [] }, files: ['big.ts'] }));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'lib', 'tsc.js');
    const result = await runFixture(tsc, { args: ['--noEmit', '-p', path.join(dir, 'tsconfig.json')], timeoutMs: 60_000 });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.report, result.stderr).not.toBeNull();
    const typescriptLib = path.join(fs.realpathSync(path.join(ROOT, 'node_modules', 'typescript')), 'lib') + path.sep;
    const worst = result.report.sites[0];
    expect(worst.file.startsWith(typescriptLib), worst.file).toBe(true);
    expect(worst).toMatchObject({ package: 'typescript', packageRole: 'main-module', kind: 'dependency' });
    expect(worst.totalMs).toBeGreaterThan(500);
    expect(worst.suggestion).toContain('the program this process runs');
    expect(worst.suggestion).not.toContain('callback Node called');
    for (const site of result.report.sites) expect(site.file).not.toMatch(/^node:/);
    expect(result.stderr).toMatch(/loopwatch: event loop blocked \d+ ms during start-up at .*typescript[\\/]lib[\\/]_?tsc\.js:\d+/);
  });

  it("a server package's own bin: its route line, one site for every search", async () => {
    const result = await searchServer(path.join(FIXTURES, 'node_modules', 'tiny-router', 'bin', 'serve.js'));
    expect(result.code, result.stderr).toBe(0);
    expectOneRouterSite(result, 'main-module');
  });

  it('an app that hands its routes to a server package: the outermost package, one site for every search', async () => {
    const result = await searchServer('router-app.js');
    expect(result.code, result.stderr).toBe(0);
    expectOneRouterSite(result, 'outermost');
  });
});
