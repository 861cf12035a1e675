import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';

/** The 1-based line holding `marker` in a fixture. */
function markedLine(script: string, marker: string): number {
  const lines = fs.readFileSync(path.join(FIXTURES, script), 'utf8').split('\n');
  return lines.findIndex((line) => line.includes(marker)) + 1;
}

function stallLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('loopwatch: event loop blocked'));
}

describe('worker threads', () => {
  it('a CPU loop in a worker thread is attributed to its line, with the thread id; the main thread still works', async () => {
    const script = 'thread-cpu.js';
    const file = path.join(FIXTURES, script);
    const result = await runFixture(script);
    expect(result.code, result.stderr).toBe(0);
    const workerThreadId = Number(/^worker (\d+)$/m.exec(result.stdout)?.[1]);
    expect(workerThreadId).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/done\n$/);

    const workerStall = result.report.stalls.find((stall: any) => stall.threadId === workerThreadId);
    expect(workerStall, JSON.stringify(result.report.stalls)).toBeDefined();
    expect(workerStall.site).toMatchObject({ file, line: blockingLine(script), function: 'spin' });
    expect(workerStall.durationMs).toBeGreaterThanOrEqual(550);
    expect(workerStall.durationMs).toBeLessThan(2000);
    const workerSite = result.report.sites.find((site: any) => site.threadId === workerThreadId);
    expect(workerSite).toMatchObject({ file, line: blockingLine(script), count: 1 });

    const mainStall = result.report.stalls.find((stall: any) => stall.threadId === 0);
    expect(mainStall?.site).toMatchObject({ file, line: markedLine(script, 'MAIN BLOCKING LINE'), function: 'mainSpin' });
    expect(result.report.sites.find((site: any) => site.threadId === 0)).toMatchObject({ line: markedLine(script, 'MAIN BLOCKING LINE') });

    // One watchdog: exactly one line per stall (a second watchdog in the worker would log twice).
    const lines = stallLines(result.stderr);
    expect(lines.filter((line) => line.includes(`thread-cpu.js:${blockingLine(script)} (spin) in worker thread ${workerThreadId}`)), result.stderr).toHaveLength(1);
    expect(lines.filter((line) => line.includes('(mainSpin)') && !line.includes('worker thread')), result.stderr).toHaveLength(1);
    // And each stall recorded once, in its own thread (a slow start on a loaded machine can add a
    // real stall elsewhere: the heartbeats start before the app's code loads).
    const ownLines = [markedLine(script, 'MAIN BLOCKING LINE'), blockingLine(script)];
    const own = result.report.stalls.filter((stall: any) => stall.site?.file === file && ownLines.includes(stall.site.line));
    expect(own.map((stall: any) => [stall.threadId, stall.site.line]).sort((a: number[], b: number[]) => a[0]! - b[0]!), JSON.stringify(result.report.stalls)).toEqual([
      [0, ownLines[0]],
      [workerThreadId, ownLines[1]],
    ]);
  });

  it('a worker thread blocked while the main thread is blocked too: both attributed', async () => {
    const script = 'thread-concurrent.js';
    const result = await runFixture(script);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('done\n');
    const workerStall = result.report.stalls.find((stall: any) => stall.threadId > 0);
    expect(workerStall?.site, result.stderr).toMatchObject({ line: blockingLine(script), function: 'spin' });
    const mainStall = result.report.stalls.find((stall: any) => stall.threadId === 0);
    expect(mainStall?.site, result.stderr).toMatchObject({ line: markedLine(script, 'MAIN BLOCKING LINE') });
  });

  it('a stuck worker the app terminates: where it was stuck is reported, no hang, the app exits', async () => {
    const script = 'thread-terminate.js';
    const result = await runFixture(script, { env: { LOOPWATCH_HANG_MS: '1000' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('terminated\n');
    expect(result.durationMs).toBeLessThan(8000);
    expect(result.stderr).not.toMatch(/still blocked/);
    const stall = result.report.stalls.find((each: any) => each.threadId > 0);
    expect(stall, result.stderr).toBeDefined();
    expect(stall.site).toMatchObject({ line: blockingLine(script) });
  });

  it('the app exits by itself, as fast as without loopwatch, after its worker threads end', async () => {
    const script = 'thread-idle.js';
    const [withAgent, without] = [await runFixture(script), await runFixture(script, { withoutAgent: true })];
    expect(withAgent.code, withAgent.stderr).toBe(0);
    expect(withAgent.stdout).toBe(without.stdout);
    // Starting three workers can stall a loaded 2-core machine's threads for real: a worker's
    // heartbeat starts with the preload, before the worker's own code loads. What must never appear
    // is a worker-thread stall once its code runs (nothing blocks in them), or a warning.
    expect(withAgent.stderr).not.toMatch(/Warning/);
    const runningAt = new Map([...withAgent.stderr.matchAll(/^thread (\d+) running at (\d+)$/gm)].map((match) => [Number(match[1]), Number(match[2])]));
    expect(runningAt.size, withAgent.stderr).toBe(3);
    const startedAfter = (stall: any): boolean => !(Date.parse(stall.at) < runningAt.get(stall.threadId)!);
    expect(withAgent.report.stalls.filter((stall: any) => stall.threadId !== 0 && startedAfter(stall))).toEqual([]);
    expect(withAgent.durationMs).toBeLessThan(without.durationMs + 3000);
  });

  it('a native sync call in a worker thread: attributed to the call, with its exact duration', async () => {
    const script = 'thread-sync.js';
    // pbkdf2Sync lasts as long as its 600k iterations take: a low threshold keeps a fast machine's
    // call a stall (the assertion compares with report.thresholdMs).
    const result = await runFixture(script, { env: { LOOPWATCH_THRESHOLD_MS: '20' } });
    expect(result.code, result.stderr).toBe(0);
    // Found by its line: a worker's start-up can be a (short) stall of its own at that threshold.
    const stall = result.report.stalls.find((each: any) => each.threadId > 0 && each.site?.line === blockingLine(script));
    expect(stall, result.stderr).toMatchObject({ api: 'crypto.pbkdf2Sync', kind: 'sync-api' });
    expect(stall.apiCallMs).toBeGreaterThan(result.report.thresholdMs);
    expect(result.stderr).toMatch(new RegExp(`blocked \\d+ ms in crypto\\.pbkdf2Sync \\(\\d+ ms\\) at .*thread-sync\\.js:${blockingLine(script)} .* in worker thread ${stall.threadId}`));
  });

  it('the process exits while a worker thread is stuck: the report holds that stall, nothing waits for a debugger', async () => {
    const script = 'thread-exit.js';
    const result = await runFixture(script);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/Waiting for the debugger/);
    const stall = result.report.stalls.find((each: any) => each.threadId > 0);
    expect(stall?.site, result.stderr).toMatchObject({ line: blockingLine(script) });
    expect(stall.durationMs).toBeGreaterThanOrEqual(300);
    const withoutReport = await runFixture(script, { env: { LOOPWATCH_REPORT: undefined } });
    expect(withoutReport.code).toBe(0);
    expect(withoutReport.stderr).not.toMatch(/Waiting for the debugger/);
  });

  // Without stack capture, nothing but the creator's 'exit' event can tell the watchdog that a
  // terminated thread is gone (with capture, a capture that finds it missing does too).
  it('frees the registry slot of every terminated worker: the 301st worker is still watched', async () => {
    const script = 'thread-terminate-many.js';
    const result = await runFixture(script, { env: { LOOPWATCH_STACKS: 'off', LOOPWATCH_LOG: 'off' }, timeoutMs: 80_000 });
    expect(result.code, result.stderr).toBe(0);
    const lastThreadId = Number(/^last worker (\d+)$/m.exec(result.stdout)?.[1]);
    expect(lastThreadId).toBeGreaterThan(300);
    expect(result.stderr).not.toMatch(/Warning/);
    const stall = result.report.stalls.find((each: any) => each.threadId === lastThreadId);
    expect(stall, JSON.stringify(result.report.stalls.map((each: any) => each.threadId))).toBeDefined();
    expect(stall.durationMs).toBeGreaterThanOrEqual(300);
  }, 90_000);

  it('a worker thread blocked while the main thread is in a long native call is captured once the main thread can relay again', async () => {
    const script = 'thread-busy-relay.js';
    const result = await runFixture(script);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('done\n');
    const workerStall = result.report.stalls.find((each: any) => each.threadId > 0);
    expect(workerStall?.site, JSON.stringify(workerStall)).toMatchObject({ line: blockingLine(script), function: 'spin' });
    expect(workerStall.durationMs).toBeGreaterThanOrEqual(2500);
    const mainStall = result.report.stalls.find((each: any) => each.threadId === 0);
    expect(mainStall).toMatchObject({ api: 'child_process.execFileSync' });
  });

  it('back-to-back stalls in a worker thread each get their stack', async () => {
    const script = 'thread-back-to-back.js';
    const file = path.join(FIXTURES, script);
    const result = await runFixture(script, { env: { LOOPWATCH_THRESHOLD_MS: '40' } });
    expect(result.code, result.stderr).toBe(0);
    const workerStalls = result.report.stalls.filter((each: any) => each.threadId > 0);
    // Each of the five, told apart by its STALL line: the caller of spin(), below the site in the
    // stack (a worker's slow start on a loaded machine can add a stall of its own, elsewhere).
    for (const n of [1, 2, 3, 4, 5]) {
      const line = markedLine(script, `STALL ${n}`);
      const stalls = workerStalls.filter((stall: any) => stall.stack.some((frame: any) => frame.file === file && frame.line === line));
      expect(stalls, `STALL ${n}: ${JSON.stringify(workerStalls)}`).toHaveLength(1);
      expect(stalls[0].site, JSON.stringify(stalls[0])).toMatchObject({ file, function: 'spin' });
    }
  });

  it('the app exits while a worker thread is inside a native call: nothing left attached or paused, with a report or without', async () => {
    for (const report of [undefined, 'default']) {
      const env = report === undefined ? { LOOPWATCH_REPORT: undefined } : {};
      const [withAgent, without] = await Promise.all([runFixture('thread-exit-during-native.js', { env }), runFixture('thread-exit-during-native.js', { withoutAgent: true })]);
      expect(withAgent.code, withAgent.stderr).toBe(0);
      expect(withAgent.stdout).toBe('exit handler done\n');
      expect(withAgent.stderr).not.toMatch(/Waiting for the debugger/);
      // A worker left paused keeps the process from ending: it would run into the runner's timeout.
      expect(withAgent.durationMs).toBeLessThan(without.durationMs + 3000);
    }
  });

  it('the watchdog is terminated while a worker thread stalls in a native call: the worker comes back and finishes', async () => {
    const result = await runFixture('watchdog-terminated-mid-native.js', { timeoutMs: 15_000 });
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('worker finished\n');
    expect(result.stderr.match(/\[LOOPWATCH_\w+\]/g)).toEqual(['[LOOPWATCH_WORKER_FAILED]']);
  });

  it('a stuck worker terminated a second before the app exits: no session left waiting on it', async () => {
    const script = 'thread-terminate-then-exit.js';
    const result = await runFixture(script);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('exiting\n');
    expect(result.stderr).not.toMatch(/Waiting for the debugger/);
    expect(result.report.stalls.find((each: any) => each.threadId > 0)?.site).toMatchObject({ line: blockingLine(script) });
  });
});

