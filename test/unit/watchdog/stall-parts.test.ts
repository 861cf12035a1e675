import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecentSlowCalls } from '../../../src/watchdog/slow-calls';
import { finishedRecord } from '../../../src/watchdog/stall-record';
import { hangLine, stallLine } from '../../../src/watchdog/stall-lines';
import { ThreadRegistry } from '../../../src/watchdog/thread-registry';
import { openStall, type OpenStall, type Watched } from '../../../src/watchdog/watched';
import { REGISTRY_BYTES, slotIdIndex } from '../../../src/watchdog/shared';
import { StallDetector } from '../../../src/watchdog/detector';
import type { SlowCall } from '../../../src/feature';
import type { Frame } from '../../../src/stack/frames';

const rules = { appPaths: [], agentRoots: ['/opt/loopwatch'] };
const appFrame = (line: number, fn = 'handler'): Frame => ({ file: '/srv/app/server.js', line, column: 5, function: fn });
const call = (api: string, durationMs: number, endNs: bigint, line: number): SlowCall => ({ api, durationMs, endNs: String(endNs), stack: [appFrame(line, 'readConfig')] });

describe('RecentSlowCalls', () => {
  it('finds the calls of one thread that ended inside the window, and forgets the oldest past capacity', () => {
    const calls = new RecentSlowCalls(2);
    calls.add(0, call('fs.readFileSync', 20, 100n, 1));
    calls.add(3, call('fs.readFileSync', 20, 150n, 2));
    calls.add(0, call('zlib.gzipSync', 20, 200n, 3));
    expect(calls.endedWithin(0, 0n, 1000n).map((each) => each.api)).toEqual(['zlib.gzipSync']);
    expect(calls.endedWithin(3, 150n, 150n)).toHaveLength(1);
    expect(calls.endedWithin(0, 201n, 1000n)).toEqual([]);
  });
});

describe('finishedRecord', () => {
  it('names the longest slow call inside the stall, not the late inspector stack', () => {
    const stall: OpenStall = { ...openStall(0n, 110), site: appFrame(99, 'later'), stack: [appFrame(99, 'later')] };
    const record = finishedRecord(0, stall, 300, [call('fs.statSync', 15, 1n, 7), call('fs.readFileSync', 250, 2n, 8)], rules, 'runtime');
    expect(record).toMatchObject({ api: 'fs.readFileSync', apiCallMs: 250, kind: 'sync-api', site: { line: 8, function: 'readConfig' } });
    expect(record.syncCalls?.map((each) => each.api)).toEqual(['fs.statSync', 'fs.readFileSync']);
  });

  it('names a loop of short sync calls by the call the watchdog asked about, over a small slow call elsewhere', () => {
    const asked: SlowCall = { ...call('fs.readFileSync', 0.2, 3n, 13), duringStall: true };
    const record = finishedRecord(0, openStall(0n, 110), 406, [call('fs.rmSync', 11, 4n, 14), asked], rules, 'runtime');
    expect(record).toMatchObject({ api: 'fs.readFileSync', apiCallsShort: true, site: { line: 13 }, durationMs: 406 });
    expect(record.apiCallMs).toBeUndefined();
    // The small slow call at another line keeps its own measured time.
    expect(stallLine(record, '/srv/app').text).toBe('event loop blocked 406 ms in short fs.readFileSync calls at server.js:13 (readConfig); 11 ms of it in fs.rmSync at server.js:14');
  });

  it('keeps the captured stack when the slow calls are a small part of the stall', () => {
    const stall: OpenStall = { ...openStall(0n, 110), site: appFrame(40, 'render'), stack: [appFrame(40, 'render')] };
    expect(finishedRecord(0, stall, 500, [call('fs.readFileSync', 12, 1n, 8)], rules, 'runtime')).toMatchObject({ api: null, site: { line: 40 }, kind: 'cpu' });
    // Slow calls of one site that add up to half the stall still name it.
    expect(finishedRecord(0, stall, 500, [call('fs.readFileSync', 130, 1n, 8), call('fs.readFileSync', 130, 2n, 8)], rules, 'runtime')).toMatchObject({ api: 'fs.readFileSync', site: { line: 8 } });
  });

  it('names the request: a slow call\'s own (exact) before the main thread\'s guess, in the record and the log line', () => {
    const stall: OpenStall = { ...openStall(0n, 110), site: appFrame(40, 'render'), stack: [appFrame(40, 'render')] };
    const guess = { request: { method: 'GET', route: '/users/:id', exact: false }, inFlight: 37 };
    const guessed = finishedRecord(0, stall, 812, [], rules, 'runtime', guess);
    expect(guessed).toMatchObject({ request: { method: 'GET', route: '/users/:id', exact: false }, inFlight: 37 });
    expect(stallLine(guessed, '/srv/app').text).toBe('event loop blocked 812 ms at server.js:40 (render) probably in GET /users/:id; 37 requests waited');
    expect(stallLine(guessed, '/srv/app').fields).toMatchObject({ method: 'GET', route: '/users/:id', routeExact: false, inFlight: 37 });
    const slow = { ...call('fs.readFileSync', 500, 1n, 8), request: { method: 'POST', route: '/orders', exact: true } };
    const exact = finishedRecord(0, stall, 812, [slow], rules, 'runtime', guess);
    expect(exact.request).toEqual({ method: 'POST', route: '/orders', exact: true });
    expect(stallLine(exact, '/srv/app').text).toContain(' in POST /orders; 37 requests waited');
    // No HTTP in play: neither field, and the line as it always was.
    const plain = finishedRecord(0, stall, 812, [], rules, 'runtime');
    expect(plain).not.toHaveProperty('request');
    expect(plain).not.toHaveProperty('inFlight');
    expect(stallLine(plain, '/srv/app').text).toBe('event loop blocked 812 ms at server.js:40 (render)');
  });

  it('is never shorter than the sync call inside it (the heartbeat measures lateness past its period)', () => {
    expect(finishedRecord(0, null, 195, [call('fs.readFileSync', 201.5, 1n, 8)], rules, 'runtime').durationMs).toBe(201.5);
    expect(finishedRecord(0, null, 300, [call('fs.readFileSync', 201.5, 1n, 8)], rules, 'runtime').durationMs).toBe(300);
  });

  it('keeps the inspector stack without a slow call, and says why when there is no stack at all', () => {
    const stall: OpenStall = { ...openStall(0n, 110), site: appFrame(12), stack: [appFrame(12)] };
    expect(finishedRecord(0, stall, 300, [], rules, 'runtime')).toMatchObject({ api: null, kind: 'cpu', site: { line: 12 } });
    expect(finishedRecord(2, null, 300, [], rules, 'runtime')).toMatchObject({ site: null, threadId: 2, noStackReason: 'the stall ended before the watchdog saw it' });
  });
});

describe('stall lines', () => {
  it('say where, in which API and thread, relative to the working directory', () => {
    const record = finishedRecord(4, null, 212.4, [call('fs.readFileSync', 201.6, 1n, 8)], rules, 'runtime');
    const line = stallLine(record, '/srv/app');
    expect(line.text).toBe('event loop blocked 212 ms in fs.readFileSync (202 ms) at server.js:8 (readConfig) in worker thread 4');
    expect(line.fields).toMatchObject({ event: 'stall', durationMs: 212, threadId: 4, api: 'fs.readFileSync', file: '/srv/app/server.js', line: 8 });
  });

  it('a hang names the native call it is stuck in and where the report went', () => {
    const line = hangLine({ elapsedMs: 5000.4, threadId: 0, inApi: 'child_process.execSync', site: null, reportPath: '/tmp/r.json' }, '/srv/app');
    expect(line.text).toBe('event loop blocked for 5000 ms and still blocked inside child_process.execSync; report written to /tmp/r.json');
    expect(line.fields).toMatchObject({ event: 'hang', elapsedMs: 5000, file: null });
  });
});

describe('ThreadRegistry', () => {
  afterEach(() => vi.useRealTimers());

  function registry() {
    const buffer = new SharedArrayBuffer(REGISTRY_BYTES);
    const ids = new Int32Array(buffer);
    const terminated: Array<[number, OpenStall | null]> = [];
    const threads = new ThreadRegistry(buffer, {
      watch: (threadId, slot, beats, beatIndex): Watched => ({
        threadId,
        slot,
        beats,
        beatIndex,
        detector: new StallDetector({ thresholdMs: 100, hangMs: 1000, heartbeatMs: 10, sampleIntervalMs: 100, maxSamples: 1 }),
        capture: null,
        open: null,
        awaitingCapture: new Set(),
      }),
      terminated: (watched, open) => terminated.push([watched.threadId, open]),
    });
    return { ids, threads, terminated };
  }

  it('discovers a claimed slot and frees it when the thread unregisters, even if never discovered', () => {
    const { ids, threads } = registry();
    ids[slotIdIndex(5)] = 7;
    threads.discover();
    expect(threads.get(7)?.slot).toBe(5);
    threads.unregistered(7, 5);
    expect(threads.has(7)).toBe(false);
    expect(ids[slotIdIndex(5)]).toBe(0);
    ids[slotIdIndex(6)] = 8;
    threads.unregistered(8, 6);
    expect(ids[slotIdIndex(6)]).toBe(0);
  });

  it('a thread that exits without unregistering is terminated after the grace period, with its open stall', () => {
    vi.useFakeTimers();
    const { ids, threads, terminated } = registry();
    ids[slotIdIndex(1)] = 3;
    threads.exited(3);
    const open = openStall(0n, 120);
    threads.get(3)!.open = open;
    expect(terminated).toEqual([]);
    vi.advanceTimersByTime(300);
    expect(terminated).toEqual([[3, open]]);
    expect(threads.has(3)).toBe(false);
    expect(ids[slotIdIndex(1)]).toBe(0);
  });

  it('a thread whose unregister arrives within the grace period ended by itself: not terminated', () => {
    vi.useFakeTimers();
    const { ids, threads, terminated } = registry();
    ids[slotIdIndex(1)] = 3;
    threads.discover();
    threads.gone(threads.get(3)!);
    threads.unregistered(3, 1);
    vi.advanceTimersByTime(1000);
    expect(terminated).toEqual([]);
  });
});

describe('stalls while modules load', () => {
  const loaderCall = (api: string, durationMs: number): SlowCall => ({
    api,
    durationMs,
    endNs: '5',
    duringStall: true,
    stack: [
      { file: 'node:internal/modules/helpers', line: 50, column: 3, function: 'toRealPath' },
      { file: 'node:internal/modules/cjs/loader', line: 600, column: 9, function: 'Module._findPath' },
      { file: 'node:internal/modules/helpers', line: 182, column: 10, function: 'require' },
      appFrame(3, '(anonymous)'),
    ],
  });

  it("are named by the app's require() line, not by the loader's short fs call", () => {
    const record = finishedRecord(0, openStall(0n, 110), 420, [loaderCall('fs.realpathSync', 0.3)], rules, 'startup');
    expect(record).toMatchObject({ api: null, kind: 'module-loading', phase: 'startup', site: { line: 3 } });
    expect(record.apiCallsShort).toBeUndefined();
    expect(stallLine(record, '/srv/app').text).toBe('event loop blocked 420 ms during start-up loading modules at server.js:3 ((anonymous))');
    expect(stallLine(record, '/srv/app').fields).toMatchObject({ phase: 'startup', kind: 'module-loading' });
  });

  it('say so when the stack held only the loader', () => {
    const stack = [{ file: 'node:internal/modules/esm/hooks', line: 590, column: 5, function: 'waitForWorker' }];
    const stall: OpenStall = { ...openStall(0n, 110), site: null, stack, noStackReason: 'only Node frames' };
    const record = finishedRecord(0, stall, 171, [], rules, 'startup');
    expect(record).toMatchObject({ site: null, kind: 'module-loading', phase: 'startup' });
    expect(record.noStackReason).toMatch(/^Node's module loader was running/);
    expect(stallLine(record, '/srv/app').text).toMatch(/^event loop blocked 171 ms during start-up loading modules \(no stack: Node's module loader/);
  });
});

describe('a stall split by what was measured', () => {
  it('keeps the captured site, and counts a slow call at another line as that line\'s own time', () => {
    const stall: OpenStall = { ...openStall(0n, 110), site: appFrame(6, 'work'), stack: [appFrame(6, 'work')] };
    const record = finishedRecord(0, stall, 300, [call('JSON.stringify', 45, 1n, 12)], rules, 'runtime');
    expect(record).toMatchObject({ site: { line: 6 }, api: null, kind: 'cpu' });
    expect(record.elsewhere).toEqual([{ api: 'JSON.stringify', durationMs: 45, site: expect.objectContaining({ line: 12 }), stack: [expect.objectContaining({ line: 12 })] }]);
    expect(stallLine(record, '/srv/app').text).toBe('event loop blocked 300 ms at server.js:6 (work); 45 ms of it in JSON.stringify at server.js:12');
  });

  it('splits nothing off for a call at the site\'s own line, and never more than the stall', () => {
    const stall: OpenStall = { ...openStall(0n, 110), site: appFrame(12, 'work'), stack: [appFrame(12, 'work')] };
    expect(finishedRecord(0, stall, 300, [call('JSON.stringify', 45, 1n, 12)], rules, 'runtime').elsewhere).toBeUndefined();
    const other: OpenStall = { ...openStall(0n, 110), site: appFrame(6, 'work'), stack: [appFrame(6, 'work')] };
    const parts = finishedRecord(0, other, 120, [call('fs.readFileSync', 59, 1n, 8), call('fs.statSync', 59, 2n, 9), call('fs.statSync', 30, 3n, 10)], rules, 'runtime').elsewhere!;
    expect(parts.map((part) => part.durationMs)).toEqual([59, 59, 2]);
  });
});

