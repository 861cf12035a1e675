// The observer effect: how much longer the same stall takes when loopwatch watches it.
//
//   npm run build && node test/bench/observer.mjs [--rounds 10] [--workloads bcrypt,cpu-loop,tsc]
//                                                 [--variants none,native,inspector[,off]] [--json out.json]
//
// Each workload (test/bench/fixtures/{bcrypt,cpu-loop,tsc}.js) does a fixed amount of blocking work
// once and prints how long it took, measured in the process itself with performance.now(): the
// clock is the app's own, so process start-up and the agent's start-up are not in it. Variants:
// - none: no preload, the bare duration;
// - native: --require preload, LOOPWATCH_CAPTURE=native (V8 RequestInterrupt, no debugger);
// - inspector: --require preload, LOOPWATCH_CAPTURE=inspector (Debugger pauses, which attach debug
//   info to the paused functions: the suspected cause of the slowdown this bench is here to show);
// - off (only when asked for): --require preload, LOOPWATCH_CAPTURE=off: the agent with no stacks.
// Loopwatch runs with its defaults (threshold 100 ms, a sample every 100 ms): what users run. Only
// LOOPWATCH_REPORT is set, to a temporary file, so each run can prove the capture path asked for is
// the one that ran (a native module that failed to load would silently measure "no stacks"); the
// report is written at exit, outside the timed work (and at a hang, from the watchdog thread).
//
// Every round runs every variant of a workload back to back, and the order rotates each round
// (none/native/inspector, then native/inspector/none, ...), never all of one variant then all of
// the next, so drift on a shared machine hits every variant alike. Every child is spawned with
// process.execPath, so `/path/to/other/node test/bench/observer.mjs` measures that Node throughout.
//
// The goal a variant is judged against: median <= 1.05x the bare median, and no run > 2x it.
// The default run (10 rounds, three workloads) takes 4-5 minutes on 2 cores, most of it tsc.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const preload = path.join(root, 'preload', 'index.js');
const FIXTURES = path.join(here, 'fixtures');
const GOAL = { median: 1.05, max: 2 };
// A run this long is stuck, not slow (the inspector path was seen to take bcrypt from 0.7 s to 10 s).
const RUN_TIMEOUT_MS = 180_000;

const WORKLOADS = {
  bcrypt: { file: 'bcrypt.js', args: () => [] },
  'cpu-loop': { file: 'cpu-loop.js', args: () => [] },
  tsc: { file: 'tsc.js', args: (scratch) => [tscSnapshot(scratch)] },
};
const VARIANTS = {
  none: { execArgv: [], capture: null },
  native: { execArgv: ['--require', preload], capture: 'native' },
  inspector: { execArgv: ['--require', preload], capture: 'inspector' },
  // Not run by default: the agent without stack capture (stalls timed, sync APIs wrapped), to tell
  // the cost of reading stacks from the cost of the rest of the agent.
  off: { execArgv: ['--require', preload], capture: 'off' },
};
const DEFAULT_VARIANTS = ['none', 'native', 'inspector'];

function parseOptions() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '10' },
      workloads: { type: 'string', default: Object.keys(WORKLOADS).join(',') },
      variants: { type: 'string', default: DEFAULT_VARIANTS.join(',') },
      json: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, not ${values.rounds}`);
  return { rounds, workloads: pickNames(values.workloads, WORKLOADS, '--workloads'), variants: pickNames(values.variants, VARIANTS, '--variants'), json: values.json };
}

function pickNames(list, known, flag) {
  const names = list.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(name in known));
  if (unknown.length > 0 || names.length === 0) throw new Error(`${flag}: unknown ${unknown.join(', ') || '(empty)'}; known: ${Object.keys(known).join(', ')}`);
  return names;
}

let snapshotDir = null;
/**
 * A copy of tsconfig.json and src/ taken once per bench run: src/ may be edited while the bench runs,
 * and every tsc run must check the same files. node_modules is linked so `types: ["node"]` resolves.
 */
function tscSnapshot(scratch) {
  if (snapshotDir !== null) return snapshotDir;
  snapshotDir = path.join(scratch, 'tsc-project');
  fs.mkdirSync(snapshotDir);
  fs.copyFileSync(path.join(root, 'tsconfig.json'), path.join(snapshotDir, 'tsconfig.json'));
  fs.cpSync(path.join(root, 'src'), path.join(snapshotDir, 'src'), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(snapshotDir, 'node_modules'), 'dir');
  return snapshotDir;
}

/** The caller's environment without anything that would change what a variant runs. */
function cleanEnv() {
  const env = { ...process.env };
  // NODE_OPTIONS (from npm, a shell) could add a preload to the bare baseline; LOOPWATCH_* from the
  // caller would replace the defaults this bench is about.
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) if (key.startsWith('LOOPWATCH_')) delete env[key];
  return env;
}

/** One process, one stall. A crash (the inspector path can abort V8 before Node 26.10) is a result, not an error. */
function runOnce(workloadName, variantName, scratch) {
  const workload = WORKLOADS[workloadName];
  const variant = VARIANTS[variantName];
  const report = path.join(scratch, 'report.json');
  fs.rmSync(report, { force: true });
  const env = cleanEnv();
  if (variant.capture !== null) Object.assign(env, { LOOPWATCH_CAPTURE: variant.capture, LOOPWATCH_REPORT: report });
  const args = [...variant.execArgv, path.join(FIXTURES, workload.file), ...workload.args(scratch)];
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 2 ** 20 });
  if (result.error) throw new Error(`${workloadName}/${variantName}: ${result.error.message}`);
  if (result.status !== 0) return { crashed: `${result.signal ?? `exit code ${result.status}`}: ${lastLines(result.stderr, 3)}` };
  const line = result.stdout.trim().split('\n').at(-1);
  // Everything the fixture prints besides its time (a hash, a file count) says what work it did.
  const { ms, ...work } = JSON.parse(line);
  return { ms, work: JSON.stringify(work), ...(variant.capture !== null ? checkReport(report, variant.capture, `${workloadName}/${variantName}`) : {}) };
}

const lastLines = (text, count) => text.trim().split('\n').slice(-count).join(' | ');

/** The capture path that ran, and how many stacks loopwatch took of the longest stall (the timed one). */
function checkReport(file, expected, label) {
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (report.capture !== expected) throw new Error(`${label}: the report says capture=${report.capture}, not ${expected}: this run would measure the wrong thing`);
  const longest = report.stalls.reduce((a, b) => (b.durationMs > (a?.durationMs ?? -1) ? b : a), null);
  if (longest === null) return { stacks: 0 };
  // The first stack plus re-samples; the report keeps at most LOOPWATCH_MAX_SAMPLES (50) samples.
  return { stacks: (longest.stack.length > 0 ? 1 : 0) + longest.samples.length };
}

/** Round r runs the variants rotated by r, so each variant takes each position equally often. */
const rotated = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function summarize(runs, baseMedian) {
  const ms = runs.filter((run) => run.ms !== undefined).map((run) => run.ms);
  const crashes = runs.filter((run) => run.crashed !== undefined).map((run) => run.crashed);
  const stacks = runs.filter((run) => run.stacks !== undefined).map((run) => run.stacks);
  if (ms.length === 0) return { ms, crashes, stacks };
  const summary = { ms, crashes, stacks, median: median(ms), min: Math.min(...ms), max: Math.max(...ms) };
  if (baseMedian !== undefined) Object.assign(summary, { medianRatio: summary.median / baseMedian, maxRatio: summary.max / baseMedian });
  return summary;
}

function collect(options, scratch) {
  const runs = new Map(options.workloads.map((workload) => [workload, new Map(options.variants.map((variant) => [variant, []]))]));
  // One unrecorded bare run per workload first: it fills the file cache (typescript.js is 9 MB) and
  // catches a broken fixture before the long part.
  const expectedWork = new Map();
  for (const workload of options.workloads) {
    const warm = runOnce(workload, 'none', scratch);
    if (warm.crashed) throw new Error(`${workload}: the bare warm-up run failed: ${warm.crashed}`);
    expectedWork.set(workload, warm.work);
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const workload of options.workloads) {
      for (const variant of rotated(options.variants, round)) {
        const run = runOnce(workload, variant, scratch);
        // A different result would mean different work, and the times would not compare.
        if (run.work !== undefined && run.work !== expectedWork.get(workload)) throw new Error(`${workload}/${variant} did other work: ${run.work}, not ${expectedWork.get(workload)}`);
        runs.get(workload).get(variant).push(run);
        process.stderr.write(`observer: round ${round + 1}/${options.rounds} ${workload} ${variant}: ${run.crashed ? `CRASHED (${run.crashed})` : `${run.ms.toFixed(0)} ms`}\n`);
      }
    }
  }
  return runs;
}

function summarizeAll(runs) {
  const results = {};
  for (const [workload, byVariant] of runs) {
    const bare = byVariant.has('none') ? summarize(byVariant.get('none')) : null;
    results[workload] = {};
    for (const [variant, list] of byVariant) results[workload][variant] = summarize(list, bare?.median);
  }
  return results;
}

/** One line per variant: does it meet the goal on every workload, and if not, where not. */
function verdicts(results, variants) {
  const lines = {};
  if (!variants.includes('none')) {
    for (const variant of variants) lines[variant] = 'no verdict: the goal is relative to the bare run (add none to --variants)';
    return lines;
  }
  for (const variant of variants.filter((name) => name !== 'none')) {
    const misses = [];
    const seen = [];
    for (const [workload, byVariant] of Object.entries(results)) {
      const s = byVariant[variant];
      if (s.medianRatio === undefined) {
        if (s.crashes.length > 0) misses.push(`${workload}: every run crashed`);
        continue;
      }
      seen.push(s);
      const why = [];
      if (s.medianRatio > GOAL.median) why.push(`median ${s.medianRatio.toFixed(2)}x`);
      if (s.maxRatio > GOAL.max) why.push(`max ${s.maxRatio.toFixed(2)}x`);
      if (s.crashes.length > 0) why.push(`${s.crashes.length} crashed`);
      if (why.length > 0) misses.push(`${workload}: ${why.join(', ')}`);
    }
    const worst = seen.length > 0 ? ` (worst median ${Math.max(...seen.map((s) => s.medianRatio)).toFixed(2)}x, worst run ${Math.max(...seen.map((s) => s.maxRatio)).toFixed(2)}x)` : '';
    lines[variant] = misses.length === 0 ? `meets the goal on ${Object.keys(results).join(', ')}${worst}` : `MISSES the goal: ${misses.join('; ')}${worst}`;
  }
  return lines;
}

const fmtMs = (ms) => (ms === undefined ? '-' : ms.toFixed(ms >= 100 ? 0 : 1));
const fmtRatio = (ratio) => (ratio === undefined ? '-' : `${ratio.toFixed(2)}x`);
const fmtLoad = (load) => load.map((value) => value.toFixed(2)).join(', ');

function printTable(results, verdictLines, context) {
  console.log(`\n### Observer effect: the same stall with and without loopwatch\n`);
  console.log(
    `node ${process.version} (${process.execPath}), ${os.cpus().length} cpus, ${context.rounds} rounds, defaults (threshold 100 ms, sample every 100 ms); ` +
      `load average (1, 5, 15 min) at start ${fmtLoad(context.loads[0])}, at end ${fmtLoad(context.loads.at(-1))}`,
  );
  console.log('');
  console.log('| workload | variant | median | min | max | median vs none | max vs none median | stacks per stall (median) | crashed |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [workload, byVariant] of Object.entries(results)) {
    for (const [variant, s] of Object.entries(byVariant)) {
      const stacks = s.stacks.length > 0 ? String(median(s.stacks)) : '-';
      console.log(
        `| ${workload} | ${variant} | ${fmtMs(s.median)} ms | ${fmtMs(s.min)} ms | ${fmtMs(s.max)} ms | ${fmtRatio(s.medianRatio)} | ${fmtRatio(s.maxRatio)} | ${stacks} | ${s.crashes.length}/${s.ms.length + s.crashes.length} |`,
      );
    }
  }
  console.log('');
  console.log(`goal: median <= ${GOAL.median}x and no run > ${GOAL.max}x the bare median`);
  for (const [variant, line] of Object.entries(verdictLines)) console.log(`- ${variant}: ${line}`);
  console.log('');
  for (const [workload, byVariant] of Object.entries(results)) {
    console.log(`per-run ms, ${workload}: ${Object.entries(byVariant).map(([variant, s]) => `${variant}: ${s.ms.map(fmtMs).join(' ')}`).join('; ')}`);
  }
}

const options = parseOptions();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-observer-'));
try {
  const loads = [os.loadavg()];
  const results = summarizeAll(collect(options, scratch));
  loads.push(os.loadavg());
  const verdictLines = verdicts(results, options.variants);
  printTable(results, verdictLines, { rounds: options.rounds, loads });
  if (options.json) {
    const out = { node: process.version, execPath: process.execPath, cpus: os.cpus().length, rounds: options.rounds, loadavg: { start: loads[0], end: loads.at(-1) }, goal: GOAL, results, verdicts: verdictLines };
    fs.writeFileSync(options.json, `${JSON.stringify(out, null, 2)}\n`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
