/**
 * Child processes that inherit NODE_OPTIONS="--require loopwatch/preload" (what `loopwatch run` and
 * `NODE_OPTIONS=... npm start` do): every process is watched on its own, `{pid}` keeps their
 * reports apart, and a fixed metrics port belongs to the first process (the README, "Metrics").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, PRELOAD, blockingLine, runFixture, tempDir } from '../run-fixture';
import { allLoopwatchCodes } from './env-matrix';
import { freePort } from '../metrics/scrape';
import { runHeld, scrapeUntil, sum, until } from './helpers';

const PARENT = 'fault-children.js';
const CHILD = 'fault-child.js';
const PARENT_SITE = `test/integration/fixtures/${PARENT}:${blockingLine(PARENT)}`;

interface Outcome {
  parentPid: number;
  reports: Map<number, any>;
  stderr: string;
  scraped: number;
}

/** Runs the parent under NODE_OPTIONS only (no --require flag), scraping its /metrics while it is up. */
async function runFamily(metricsPort: string, parentMetricsPort: (stderr: string, parentPid: number) => number | null): Promise<Outcome> {
  const dir = tempDir();
  const without = await runFixture(PARENT, { withoutAgent: true });
  expect(without.code).toBe(0);
  expect(without.stdout).toBe('children exited with 11 and 12\nparent done\n');
  let parentPid = 0;
  let scraped = 0;
  const result = await runHeld(
    PARENT,
    {
      withoutAgent: true,
      env: { NODE_OPTIONS: `--require ${PRELOAD}`, LOOPWATCH_REPORT: path.join(dir, 'report-{pid}.json'), LOOPWATCH_METRICS_PORT: metricsPort },
    },
    async (held) => {
      parentPid = held.child.pid!;
      await until(() => held.stdout().includes('children exited'), 20_000, 'both children to exit');
      const port = parentMetricsPort(held.stderr(), parentPid);
      expect(port, `the parent's metrics port; stderr:\n${held.stderr()}`).not.toBeNull();
      const { samples } = await scrapeUntil(port!, (s) => sum(s, 'loopwatch_eventloop_stalls_total', { site: PARENT_SITE }) >= 1);
      scraped = sum(samples, 'loopwatch_eventloop_stalls_total', { site: PARENT_SITE });
    },
  );
  // Exit codes unchanged: the parent's own, and the children's as the parent saw them.
  expect(result.signal).toBeNull();
  expect(result.code).toBe(without.code);
  expect(result.stdout).toBe(without.stdout);

  // One report per process, each named with its own pid; nothing else left in the folder.
  const files = fs.readdirSync(dir).sort();
  expect(files, 'report files').toHaveLength(3);
  const reports = new Map<number, any>();
  for (const file of files) {
    const match = /^report-(\d+)\.json$/.exec(file);
    expect(match, file).not.toBeNull();
    const report = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    expect(report.pid).toBe(Number(match![1]));
    reports.set(report.pid, report);
  }
  expect(reports.has(parentPid), `a report for the parent, pid ${parentPid}`).toBe(true);
  // Each names its own blocking line.
  for (const [pid, report] of reports) {
    const script = pid === parentPid ? PARENT : CHILD;
    expect(report.sites, `the report of pid ${pid}`).toContainEqual(expect.objectContaining({ file: path.join(FIXTURES, script), line: blockingLine(script), function: 'spin' }));
    // ... and not the other script's: the parent's report is the parent's own.
    const other = script === PARENT ? CHILD : PARENT;
    expect(report.sites.filter((site: any) => site.file === path.join(FIXTURES, other)), `the report of pid ${pid}`).toEqual([]);
  }
  return { parentPid, reports, stderr: result.stderr, scraped };
}

const warningPids = (stderr: string, code: string): number[] =>
  [...stderr.matchAll(new RegExp(`^\\(node:(\\d+)\\) \\[${code}\\]`, 'gm'))].map((match) => Number(match[1]));

describe('child processes inheriting NODE_OPTIONS', () => {
  it('a fixed LOOPWATCH_METRICS_PORT: the parent serves it, each child warns once and runs on', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const { parentPid, reports, stderr, scraped } = await runFamily(String(port), () => port);
    expect(scraped).toBeGreaterThanOrEqual(1);
    const childPids = [...reports.keys()].filter((pid) => pid !== parentPid).sort();
    expect(childPids).toHaveLength(2);
    expect(warningPids(stderr, 'LOOPWATCH_METRICS_PORT_IN_USE').sort()).toEqual(childPids);
    expect([...new Set(allLoopwatchCodes(stderr))]).toEqual(['LOOPWATCH_METRICS_PORT_IN_USE']);
  });

  it('LOOPWATCH_METRICS_PORT=0: every process gets its own port, announced with its pid, and no warning', { timeout: 60_000 }, async () => {
    const announced = (stderr: string): Map<number, number> =>
      new Map([...stderr.matchAll(/^loopwatch: metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics \(pid (\d+)\)$/gm)].map((m) => [Number(m[2]), Number(m[1])]));
    const { reports, stderr, scraped } = await runFamily('0', (text, parentPid) => announced(text).get(parentPid) ?? null);
    expect(scraped).toBeGreaterThanOrEqual(1);
    const ports = announced(stderr);
    expect([...ports.keys()].sort()).toEqual([...reports.keys()].sort());
    expect(new Set(ports.values()).size).toBe(3);
    expect(allLoopwatchCodes(stderr)).toEqual([]);
  });
});
