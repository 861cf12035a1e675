import { describe, expect, it } from 'vitest';
import { applySample } from '../../../src/watchdog/sampling';
import type { OpenStall } from '../../../src/watchdog/watched';
import type { Frame } from '../../../src/stack/frames';

const TS = '/x/node_modules/typescript/lib';
const rules = { appPaths: [], agentRoots: ['/opt/loopwatch/dist'], mainPackage: '/x/node_modules/typescript' };
const frame = (file: string, line: number, fn = 'f'): Frame => ({ file, line, column: 1, function: fn });
const loader = [frame('node:internal/modules/cjs/loader', 1521, 'Module._compile'), frame('node:internal/modules/helpers', 182, 'require')];
const timing = { startedNs: 0n, nowNs: 200_000_000n, elapsedMs: 100 };

function open(): OpenStall {
  return { beatNs: 0n, at: '', detectedAfterMs: 100, site: null, stack: [], samples: [], noStackReason: undefined, capturing: null };
}

describe('applySample, with no app frame on the stack', () => {
  it("a package's site replaces a first stack still loading the package's modules (tsc's require of _tsc.js)", () => {
    const stall = open();
    applySample(stall, { frames: [...loader, frame(`${TS}/tsc.js`, 8)] }, timing, rules);
    expect(stall.site).toMatchObject({ file: `${TS}/tsc.js`, line: 8 });
    applySample(stall, { frames: [frame(`${TS}/_tsc.js`, 29412, 'token'), ...loader, frame(`${TS}/tsc.js`, 8)] }, timing, rules);
    expect(stall.site).toMatchObject({ file: `${TS}/_tsc.js`, line: 29412, package: 'typescript', packageRole: 'main-module' });
    // Where the first part went is kept: the loading stack is the first sample.
    expect(stall.samples[0]!.stack[2]).toMatchObject({ file: `${TS}/tsc.js` });
  });

  it("a package's site replaces a stack of Node's frames alone, but not another package site", () => {
    const stall = open();
    applySample(stall, { frames: [frame('node:internal/async_hooks', 487)] }, timing, rules);
    expect(stall.site).toBeNull();
    applySample(stall, { frames: [frame(`${TS}/_tsc.js`, 608)] }, timing, rules);
    expect(stall.site).toMatchObject({ line: 608 });
    applySample(stall, { frames: [frame(`${TS}/_tsc.js`, 789)] }, timing, rules);
    expect(stall.site).toMatchObject({ line: 608 });
  });
});
