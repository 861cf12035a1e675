import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';

const lineOf = (marker: string): number =>
  fs.readFileSync(path.join(FIXTURES, 'two-phase.js'), 'utf8').split('\n').findIndex((line) => line.includes(marker)) + 1;

describe('a long stall is re-sampled', () => {
  it('shows where each part of a 1.4 s stall went', async () => {
    const result = await runFixture('two-phase.js');
    const stall = result.report.stalls[0];
    expect(stall.durationMs).toBeGreaterThanOrEqual(1350);
    // Every ~100 ms after the first capture; each sample's second frame says which phase it is in.
    expect(stall.samples.length).toBeGreaterThanOrEqual(5);
    const phaseLines = stall.samples.map((sample: any) => sample.stack.find((frame: any) => frame.function !== 'busy')?.line);
    expect(phaseLines).toContain(lineOf('PHASE A'));
    expect(phaseLines).toContain(lineOf('PHASE B'));
    const atMs = stall.samples.map((sample: any) => sample.atMs);
    expect([...atMs].sort((a, b) => a - b)).toEqual(atMs);
  });
});

describe('signals the app handles itself', () => {
  it('runs the app handler and keeps its exit code, with the report on disk', async () => {
    const killWhenReady = (child: ChildProcess) => {
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('ready\n')) setTimeout(() => child.kill('SIGTERM'), 600);
      });
    };
    const [without, withAgent] = await Promise.all([
      runFixture('signal-handler.js', { withoutAgent: true, onSpawn: killWhenReady }),
      runFixture('signal-handler.js', { onSpawn: killWhenReady }),
    ]);
    expect(without.code).toBe(3);
    expect(withAgent.code).toBe(3);
    expect(withAgent.signal).toBeNull();
    expect(withAgent.stderr).toContain('app handled SIGTERM');
    // The fixture's stall, once (a slow start on a loaded machine can add a real one before it).
    expect(withAgent.report.sites).toContainEqual(expect.objectContaining({ file: path.join(FIXTURES, 'signal-handler.js'), line: blockingLine('signal-handler.js'), count: 1 }));
  });
});
