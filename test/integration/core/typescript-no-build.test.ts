import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture, type RunOptions } from '../run-fixture';

/**
 * TypeScript run without a build step: the code that runs is transformed in memory (tsx, ts-node,
 * Node's own type handling) or bundled, and only its source map names the line (issue 12, class 3).
 */
const DIR = path.join(FIXTURES, 'ts-nobuild');
const ORDERS = path.join(DIR, 'orders.ts');
const TS_NODE = { TS_NODE_COMPILER_OPTIONS: JSON.stringify({ module: 'commonjs', moduleResolution: 'node' }) };

/** The stall of the fixture's marked line: named there exactly, in the report and the log. */
async function expectLine(script: string, options: RunOptions, source = script): Promise<void> {
  const result = await runFixture(script, options);
  expect(result.code, result.stderr).toBe(0);
  // The timer's stall: loading the app (ts-node compiling it, say) is a start-up stall of its own.
  const stall = result.report?.stalls.find((each: any) => each.site?.file === source && each.phase === 'runtime');
  const seen = JSON.stringify(result.report?.stalls.map((each: any) => each.site && `${each.phase} ${each.site.file}:${each.site.line}`));
  expect(stall?.site, seen).toMatchObject({ file: source, line: blockingLine(source) });
  expect(stall.site.unmapped).toBeUndefined();
  expect(result.stderr).toContain(`${path.relative(process.cwd(), source)}:${blockingLine(source)} (`);
}

/** What this Node does with a `.ts` file by itself: 'strip', 'transform', or nothing (Node 20). */
const nodeTypeScript = (process.features as { typescript?: string }).typescript;
const hasTransformTypes = process.allowedNodeEnvironmentFlags.has('--experimental-transform-types');

describe('TypeScript without a build step: the exact line', () => {
  it('tsx, CommonJS (node --import tsx app.ts)', async () => {
    await expectLine(ORDERS, { nodeArgs: ['--import', 'tsx'] });
  });

  it('tsx, an ES module (app.mts)', async () => {
    await expectLine(path.join(DIR, 'orders.mts'), { nodeArgs: ['--import', 'tsx'] });
  });

  it('tsx with --enable-source-maps', async () => {
    await expectLine(ORDERS, { nodeArgs: ['--enable-source-maps', '--import', 'tsx'] });
  });

  it('ts-node, transpile-only (node --require ts-node/register app.ts)', async () => {
    await expectLine(ORDERS, { nodeArgs: ['--require', 'ts-node/register/transpile-only'], env: TS_NODE });
  });

  it('ts-node with --enable-source-maps', async () => {
    await expectLine(ORDERS, { nodeArgs: ['--enable-source-maps', '--require', 'ts-node/register/transpile-only'], env: TS_NODE });
  });

  it("Node's own type stripping (node app.ts), where this Node has it", async () => {
    if (nodeTypeScript === undefined) {
      // Node 20: no type stripping at all, so there is nothing to map; make sure that is why.
      const refused = spawnSync(process.execPath, [ORDERS], { encoding: 'utf8' });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/SyntaxError|ERR_UNKNOWN_FILE_EXTENSION/);
      return;
    }
    // 22 strips only behind the flag before 22.18; 24 and 26 by default.
    const flag = process.allowedNodeEnvironmentFlags.has('--experimental-strip-types') ? ['--experimental-strip-types'] : [];
    await expectLine(ORDERS, { nodeArgs: [...flag, '--no-warnings'] });
  });

  it("Node's --experimental-transform-types, which generates a map (enum: the lines move)", async () => {
    if (!hasTransformTypes) {
      const refused = spawnSync(process.execPath, ['--experimental-transform-types', '-e', '0'], { encoding: 'utf8' });
      expect(refused.status).not.toBe(0);
      return;
    }
    await expectLine(path.join(DIR, 'transform.ts'), { nodeArgs: ['--experimental-transform-types', '--no-warnings'] });
  });

  it('a bundle with an inline data: source map', async () => {
    const source = path.join(DIR, 'bundle-src', 'tally.ts');
    const bundle = path.join(DIR, 'bundle.js');
    // The bundle's own line of the loop is not the source's: only the map names it.
    const bundleLine = fs.readFileSync(bundle, 'utf8').split('\n').findIndex((line) => line.includes('counter.n +=')) + 1;
    expect(bundleLine).not.toBe(blockingLine(source));
    await expectLine(bundle, {}, source);
  });

  it('a bundle with an inline map, run with --enable-source-maps', async () => {
    await expectLine(path.join(DIR, 'bundle.js'), { nodeArgs: ['--enable-source-maps'] }, path.join(DIR, 'bundle-src', 'tally.ts'));
  });
});

describe('TypeScript without a build step: never a plausible wrong line', () => {
  it('an app that exits right after its stall: the exact line, or no line and why', async () => {
    // The map is in the main thread's memory, and it exits before it can answer the watchdog.
    const result = await runFixture(ORDERS, { nodeArgs: ['--import', 'tsx'], env: { LINGER_MS: '0' } });
    expect(result.code, result.stderr).toBe(0);
    const stall = result.report.stalls.find((each: any) => each.site?.file === ORDERS);
    expect(stall, result.stderr).toBeDefined();
    if (stall.site.line === 0) {
      expect(stall.site.unmapped).toMatch(/transformed in memory/);
      expect(stall.stack.every((frame: any) => frame.file !== ORDERS || frame.line === 0)).toBe(true);
      expect(result.stderr).toContain('orders.ts:? (summarize)');
    } else expect(stall.site.line).toBe(blockingLine(ORDERS));
  });
});
