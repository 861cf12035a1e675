import { describe, expect, it } from 'vitest';
import { classifyStall, fromMicrotaskQueue } from '../../../src/report/classify';
import type { Frame } from '../../../src/stack/frames';

const FILE = '/srv/app/work.js';
const frame = (line: number, fn = 'work', file = FILE): Frame => ({ file, line, column: 1, function: fn });
const timerBottom = [frame(9, 'listOnTimeout', 'node:internal/timers'), frame(9, 'processTimers', 'node:internal/timers')];

function lines(text: string) {
  return (file: string) => (file === FILE ? text.split('\n') : null);
}

describe('classifyStall', () => {
  it('a sync API is sync-api, JSON.* is json, whatever the line', () => {
    expect(classifyStall({ api: 'fs.readFileSync', site: frame(1), stack: [frame(1)] }, lines('x'))).toBe('sync-api');
    expect(classifyStall({ api: 'JSON.parse', site: frame(1), stack: [frame(1)] }, lines('x'))).toBe('json');
  });

  it('regex when the blocking line runs a regex literal, directly or through a bound name', () => {
    expect(classifyStall({ api: null, site: frame(1), stack: [frame(1), ...timerBottom] }, lines('const ok = /^(a+)+$/.test(s);'))).toBe('regex');
    expect(classifyStall({ api: null, site: frame(2), stack: [frame(2), ...timerBottom] }, lines('const re = /^(a+)+$/;\nconst ok = re.test(s);'))).toBe('regex');
  });

  it('microtasks when a promise step runs from the microtask queue', () => {
    const text = 'for (let i = 0; i < n; i++) total += await i;';
    expect(classifyStall({ api: null, site: frame(1), stack: [frame(1)] }, lines(text))).toBe('microtasks');
    expect(classifyStall({ api: null, site: frame(1), stack: [frame(1), frame(5, 'processTicksAndRejections', 'node:internal/process/task_queues')] }, lines(text))).toBe('microtasks');
  });

  it('a CPU loop after an await stays cpu, and so does a promise line run from a timer', () => {
    expect(classifyStall({ api: null, site: frame(1), stack: [frame(1)] }, lines('while (Date.now() < end) Math.random();'))).toBe('cpu');
    expect(classifyStall({ api: null, site: frame(1), stack: [frame(1), ...timerBottom] }, lines('total += await i;'))).toBe('cpu');
  });

  it('dependency when the top frame is in node_modules; unknown without a stack', () => {
    const dep = frame(3, 'parse', '/srv/app/node_modules/yaml/index.js');
    expect(classifyStall({ api: null, site: frame(1), stack: [dep, frame(1)] }, lines('x'))).toBe('dependency');
    expect(classifyStall({ api: null, site: null, stack: [] }, lines('x'))).toBe('unknown');
  });

  it("dependency when the site is a package's (no app frame), even under one of Node's frames", () => {
    const site: Frame = { ...frame(4907, 'getNodeSystem', '/x/node_modules/typescript/lib/_tsc.js'), package: 'typescript', packageRole: 'main-module' };
    expect(classifyStall({ api: null, site, stack: [frame(385, 'get', 'node:fs'), site] }, lines('x'))).toBe('dependency');
  });

  it('fromMicrotaskQueue', () => {
    expect(fromMicrotaskQueue([frame(1)])).toBe(true);
    expect(fromMicrotaskQueue([frame(1), ...timerBottom])).toBe(false);
    expect(fromMicrotaskQueue([])).toBe(false);
  });
});

describe('module loading', () => {
  const loader = (fn: string, file = 'node:internal/modules/cjs/loader') => frame(1000, fn, file);
  const entryBottom = [loader('Module._compile'), loader('Module._load'), frame(170, 'executeUserEntryPoint', 'node:internal/modules/run_main')];

  it("is the kind when the loader is above the site: the site's require() had not returned", () => {
    const dependencyTopLevel = frame(40, '(anonymous)', '/srv/app/node_modules/heavy/index.js');
    const stack = [dependencyTopLevel, loader('Module._compile'), loader('Module._load'), frame(182, 'require', 'node:internal/modules/helpers'), frame(3), ...entryBottom];
    expect(classifyStall({ api: null, site: frame(3), stack }, lines('x'))).toBe('module-loading');
    // Before the API: the stall began inside one of the loader's own fs calls.
    expect(classifyStall({ api: 'fs.realpathSync', site: frame(3), stack }, lines('x'))).toBe('module-loading');
  });

  it('is not the kind for the entry\'s own top-level code: the loader frames are below the site', () => {
    expect(classifyStall({ api: null, site: frame(7), stack: [frame(7), ...entryBottom] }, lines('while (Date.now() < end) Math.random();'))).toBe('cpu');
  });

  it('is the kind with no site when only the loader ran (the handshake with --import hooks)', () => {
    const stack = [frame(590, 'waitForWorker', 'node:internal/modules/esm/hooks'), frame(120, 'import', 'node:internal/modules/esm/loader')];
    expect(classifyStall({ api: null, site: null, stack }, lines('x'))).toBe('module-loading');
    // Node's own frames without the loader stay unknown.
    expect(classifyStall({ api: null, site: null, stack: [frame(487, 'destroyHooksExist', 'node:internal/async_hooks')] }, lines('x'))).toBe('unknown');
  });
});
