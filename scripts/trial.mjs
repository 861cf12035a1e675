#!/usr/bin/env node
// The real-suite trial: runs another project's test suite bare, under loopwatch in production
// mode and under loopwatch in debug mode, and compares what the suite says. An agent loaded into
// production must not change the app's behaviour, so no test that passes bare may fail under it.
//
//   node scripts/trial.mjs <project dir> [--runs N] [--json out.json] [--preload path]
//                          [--timeout s] -- <test command...>
//   npm run trial -- ../express -- npx mocha --require test/support/env --check-leaks test/
//
// One argument after `--` runs through a shell (pipes, `&&`); several run as argv, no shell.
// Exits 1 if a production or debug run differs from the first bare run in exit code or in
// pass/fail/pending counts; a differing stdout is reported but is not a failure on its own,
// since suites print timings and ordering the normalisation cannot always hide.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const usage = 'usage: node scripts/trial.mjs <project dir> [--runs N] [--json out.json] [--preload path] [--timeout s] -- <test command...>';

function parseArgs(argv) {
  const dash = argv.indexOf('--');
  if (dash < 0 || dash === argv.length - 1) fail(usage);
  const opts = {
    runs: 1,
    json: null,
    timeoutS: 0,
    // The preload of the checkout this script sits in; --preload points at another build, e.g. a
    // stable copy while dist/ is being rebuilt.
    preload: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../preload/index.js'),
    dir: null,
    command: argv.slice(dash + 1),
  };
  const own = argv.slice(0, dash);
  for (let i = 0; i < own.length; i++) {
    const arg = own[i];
    const value = () => own[++i] ?? fail(`${arg} needs a value\n${usage}`);
    if (arg === '--runs') opts.runs = positiveInt(arg, value());
    else if (arg === '--json') opts.json = path.resolve(value());
    else if (arg === '--preload') opts.preload = path.resolve(value());
    else if (arg === '--timeout') opts.timeoutS = positiveInt(arg, value());
    else if (arg.startsWith('--') || opts.dir !== null) fail(`unexpected ${arg}\n${usage}`);
    else opts.dir = path.resolve(arg);
  }
  if (opts.dir === null || !fs.statSync(opts.dir, { throwIfNoEntry: false })?.isDirectory()) fail(`no project directory\n${usage}`);
  if (!fs.existsSync(opts.preload)) fail(`no preload at ${opts.preload} (run npm run build, or pass --preload)`);
  return opts;
}

function positiveInt(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`${name} must be a positive integer`);
  return n;
}

function fail(message) {
  console.error(message);
  process.exit(2);
}

// The three modes differ only in these variables. Inherited LOOPWATCH_* variables are dropped in
// every mode, so a stray LOOPWATCH_MODE=off in the caller's shell cannot make "debug" a no-op and
// bare stays bare. Existing NODE_OPTIONS are kept and appended to, as a user's would be.
function modeEnv(mode, preload, runDir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LOOPWATCH_')));
  if (mode === 'bare') return env;
  // Quoted: the path may hold spaces, and NODE_OPTIONS is split on them.
  env.NODE_OPTIONS = [process.env.NODE_OPTIONS, `--require ${JSON.stringify(preload)}`].filter(Boolean).join(' ');
  // A file, not stderr: the suite's own stderr (and any test that asserts on a child's stderr)
  // must see what it sees in production, and we want the lines counted, not mixed in.
  env.LOOPWATCH_LOG = path.join(runDir, 'loopwatch.log');
  // Reports, as `loopwatch run` writes them, one per process: kept for looking into a stall.
  env.LOOPWATCH_REPORT = path.join(runDir, 'report-{pid}.json');
  if (mode === 'debug') env.LOOPWATCH_MODE = 'debug';
  return env;
}

function runOnce(opts, mode, runDir) {
  fs.mkdirSync(runDir, { recursive: true });
  const [file, ...args] = opts.command;
  const shell = opts.command.length === 1;
  const started = performance.now();
  return new Promise((resolve) => {
    // Its own process group, so a timeout can stop the runner and every worker it started.
    const child = spawn(file, args, { cwd: opts.dir, env: modeEnv(mode, opts.preload, runDir), shell, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // Detached, it no longer gets the terminal's Ctrl-C: pass it on to the whole group.
    const onSigint = () => {
      try { process.kill(-child.pid, 'SIGINT'); } catch { /* already gone */ }
      process.exit(130);
    };
    process.once('SIGINT', onSigint);
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    let timedOut = false;
    const timer = opts.timeoutS > 0 ? setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, opts.timeoutS * 1000) : null;
    child.on('error', (e) => fail(`cannot start ${file}: ${e.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', onSigint);
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      // Kept on disk: the first differing line is rarely enough to explain a difference.
      fs.writeFileSync(path.join(runDir, 'stdout.txt'), stdout);
      fs.writeFileSync(path.join(runDir, 'stderr.txt'), stderr);
      resolve({
        exit: timedOut ? 'timeout' : code ?? signal,
        wallS: (performance.now() - started) / 1000,
        stdout,
        stderr,
        // Jest and ava print their summary on stderr, so counts are read from both streams.
        counts: parseCounts(stripAnsi(stdout + '\n' + stderr)),
        log: readLog(path.join(runDir, 'loopwatch.log')),
        // Warnings (LOOPWATCH_* codes) still go to stderr, where a test asserting on a child's
        // stderr would see them: worth a note of their own, whatever else stderr holds.
        stderrMentions: stderr.split('\n').filter((l) => /loopwatch/i.test(l)).length,
      });
    });
  });
}

// Colour codes, should a runner print them even to a pipe.
const stripAnsi = (s) => s.replace(new RegExp(String.raw`\u001b\[[0-9;?]*[A-Za-z]`, 'g'), '');

// The last match wins: summaries come at the end, and nested or per-file output may repeat the
// pattern earlier. null means "this runner does not print that number".
function last(text, re) {
  let found = null;
  for (const m of text.matchAll(re)) found = Number(m[1]);
  return found;
}

// One entry per runner output, tried in order; the first that finds a pass or fail count wins.
const PARSERS = [
  // mocha spec/dot: "  125 passing (2s)", "  3 failing", "  1 pending"
  (t) => ({ passed: last(t, /^\s*(\d+) passing\b/gm), failed: last(t, /^\s*(\d+) failing\b/gm), pending: last(t, /^\s*(\d+) pending\b/gm) }),
  // node --test spec reporter (also borp): "ℹ pass 10", "ℹ fail 0"... cancelled tests fail the
  // run as failures do, so they are counted as failed.
  (t) => ({ passed: last(t, /^ℹ pass (\d+)/gm), failed: sum(last(t, /^ℹ fail (\d+)/gm), last(t, /^ℹ cancelled (\d+)/gm)), pending: sum(last(t, /^ℹ skipped (\d+)/gm), last(t, /^ℹ todo (\d+)/gm)) }),
  // TAP (node --test --test-reporter=tap, mocha --reporter tap, tape): "# pass 10", "# fail 0"
  (t) => ({ passed: last(t, /^# pass\s+(\d+)/gm), failed: sum(last(t, /^# fail\s+(\d+)/gm), last(t, /^# cancelled\s+(\d+)/gm)), pending: sum(last(t, /^# skip(?:ped)?\s+(\d+)/gm), last(t, /^# todo\s+(\d+)/gm)) }),
  // jest: "Tests:       1 failed, 2 skipped, 3 todo, 10 passed, 16 total"
  (t) => jestLike(t, /^Tests:\s+(.*)$/gm),
  // vitest: " Tests  1 failed | 10 passed | 2 skipped (13)"
  (t) => jestLike(t, /^\s*Tests\s{2,}(.*)$/gm),
  // ava: "✔ 10 tests passed", "✘ 1 test failed", "2 tests skipped"
  (t) => ({ passed: last(t, /(\d+) tests? passed/g), failed: last(t, /(\d+) tests? failed/g), pending: sum(last(t, /(\d+) tests? skipped/g), last(t, /(\d+) tests? todo/g)) }),
  // Raw TAP with no summary comments (node-tap's TAP reporter): count the top-level test points.
  (t) => tapPoints(t),
];

function tapPoints(text) {
  const points = [...text.matchAll(/^(not )?ok \d+\b(.*)$/gm)];
  if (!points.length) return {};
  const pending = points.filter((m) => /#\s*(skip|todo)/i.test(m[2])).length;
  const failed = points.filter((m) => m[1] && !/#\s*todo/i.test(m[2])).length;
  return { passed: points.length - pending - failed, failed, pending };
}

function jestLike(text, re) {
  const line = [...text.matchAll(re)].at(-1)?.[1];
  if (!line) return {};
  const n = (word) => last(line, new RegExp(`(\\d+) ${word}`, 'g'));
  return { passed: n('passed'), failed: n('failed'), pending: sum(n('skipped'), n('todo'), n('pending')) };
}

function sum(...xs) {
  const known = xs.filter((x) => x !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

function parseCounts(text) {
  for (const parser of PARSERS) {
    const c = parser(text);
    if (c.passed != null || c.failed != null) {
      // A runner that found passes but printed no failure line had none (mocha omits "0 failing").
      return { passed: c.passed ?? 0, failed: c.failed ?? 0, pending: c.pending ?? 0 };
    }
  }
  return { passed: '?', failed: '?', pending: '?' };
}

// Every process of the suite appends to the same log file (NODE_OPTIONS reaches the children).
function readLog(file) {
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const suppressed = lines.map((l) => /(\d+) stall line\(s\) suppressed/.exec(l)?.[1] ?? 0);
  return {
    stallLines: lines.filter((l) => l.includes('event loop blocked')).length,
    // The rate limit (LOOPWATCH_LOG_PER_MIN) folds a storm of stalls into one count line.
    suppressedStallLines: suppressed.reduce((a, n) => a + Number(n), 0),
    otherLines: lines.filter((l) => !l.includes('event loop blocked')).length,
  };
}

// What may differ between two honest runs of the same suite: timings, clocks, ports, pids and
// temporary paths. Anything else that differs is worth a look.
function normalise(stdout) {
  return stripAnsi(stdout)
    .replace(new RegExp(escapeRe(os.tmpdir()) + '/[^\\s\'")]*', 'g'), '<tmp>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?/g, '<date>')
    .replace(/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\b/g, '<date>')
    .replace(/\b1[5-9]\d{11}\b/g, '<epoch-ms>')
    .replace(/\b\d+(?:\.\d+)?\s?(?:ms|s|m|µs|us|ns|sec|secs|seconds|milliseconds)\b/g, '<dur>')
    .replace(/duration_ms[:=]?\s*[\d.]+/g, 'duration_ms <dur>')
    // mocha prints "(75ms)" only after a test slower than half its `slow` limit: whether it
    // shows at all is timing, so the whole suffix goes.
    .replace(/ \(<dur>\)$/gm, '')
    // jest adds ", estimated 5 s" once it has timings cached from an earlier run.
    .replace(/, estimated <dur>/g, '')
    .replace(/(127\.0\.0\.1|localhost|::1?|0\.0\.0\.0|\]):\d{2,5}\b/g, '$1:<port>')
    .replace(/\bport\s*[=:]?\s*\d{2,5}\b/gi, 'port <port>')
    .replace(/("?pid"?\s*[:=]\s*)\d+/gi, '$1<pid>')
    .replace(/\(node:\d+\)/g, '(node:<pid>)') // Node's warning prefix
    .split('\n')
    .map((l) => l.trimEnd());
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// "yes", "same lines, other order" (parallel runners finish files in any order), or the first
// differing line.
function compareText(base, other) {
  const a = normalise(base);
  const b = normalise(other);
  if (a.length === b.length && a.every((l, i) => l === b[i])) return { same: 'yes' };
  const sortedB = [...b].sort();
  if (a.length === b.length && [...a].sort().every((l, i) => l === sortedB[i])) return { same: 'order' };
  const i = a.findIndex((l, k) => l !== b[k]);
  const at = i < 0 ? a.length : i;
  return { same: 'no', line: at + 1, bare: a[at] ?? '<end>', got: b[at] ?? '<end>' };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-trial-'));
  const modes = ['bare', 'production', 'debug'];
  const results = [];
  // Modes alternate within each round, so a machine that gets slower or busier over time
  // does not load all its slowness onto one mode.
  for (let run = 1; run <= opts.runs; run++) {
    for (const mode of modes) {
      process.stderr.write(`trial: ${mode} run ${run}/${opts.runs}... `);
      const r = await runOnce(opts, mode, path.join(work, `${mode}-${run}`));
      process.stderr.write(`exit ${r.exit}, ${r.wallS.toFixed(1)} s\n`);
      results.push({ mode, run, ...r });
    }
  }

  const base = results[0];
  let differs = false;
  const notes = [];
  const rows = results.map((r) => {
    const cmp = compareText(base.stdout, r.stdout);
    // stderr is compared too, for the notes only: jest prints its whole report there (stdout
    // stays empty), and loopwatch's own warnings would land there.
    const errCmp = compareText(base.stderr, r.stderr);
    const countsSame = ['passed', 'failed', 'pending'].every((k) => r.counts[k] === base.counts[k]);
    const same = r.exit === base.exit && countsSame;
    if (!same && r.mode !== 'bare') differs = true;
    const label = opts.runs > 1 ? `${r.mode} #${r.run}` : r.mode;
    if (!same) notes.push(`${label}: exit ${r.exit} / counts ${fmtCounts(r.counts)} vs bare #1 exit ${base.exit} / counts ${fmtCounts(base.counts)}`);
    if (cmp.same === 'no') notes.push(`${label}: stdout line ${cmp.line} differs\n    bare: ${cmp.bare}\n    this: ${cmp.got}`);
    if (errCmp.same === 'order') notes.push(`${label}: stderr has the same lines in another order`);
    if (errCmp.same === 'no') notes.push(`${label}: stderr line ${errCmp.line} differs\n    bare: ${errCmp.bare}\n    this: ${errCmp.got}`);
    if (r.stderrMentions) notes.push(`${label}: ${r.stderrMentions} stderr line(s) mention loopwatch`);
    if (r.log.suppressedStallLines) notes.push(`${label}: ${r.log.suppressedStallLines} more stall line(s) suppressed by the log rate limit`);
    if (r.log.otherLines) notes.push(`${label}: ${r.log.otherLines} other loopwatch log line(s) (see the log)`);
    Object.assign(r, { stdoutSame: cmp, stderrSame: errCmp, sameAsBare: same });
    const stdoutCell = { yes: 'yes', order: 'yes (other order)', no: `no (line ${cmp.line})` }[cmp.same];
    const stalls = r.mode === 'bare' ? '-' : String(r.log.stallLines);
    return `| ${label} | ${r.exit} | ${r.counts.passed} | ${r.counts.failed} | ${r.counts.pending} | ${r.wallS.toFixed(1)} | ${stdoutCell} | ${stalls} |`;
  });

  console.log(`\n${opts.dir}: ${opts.command.join(' ')}  (node ${process.version})\n`);
  console.log('| mode | exit | passed | failed | pending | wall s | stdout same | loopwatch stall lines |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  if (notes.length) console.log('\n' + notes.map((n) => `- ${n}`).join('\n'));
  console.log(`\noutputs, logs and reports: ${work}`);
  console.log(differs ? 'DIFFERS: production or debug changed the exit code or the counts' : 'same exit code and counts in every mode');

  if (opts.json) {
    // stdout and stderr are left out: both are in full in the work dir.
    const slim = results.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'stdout' && k !== 'stderr')));
    fs.writeFileSync(opts.json, JSON.stringify({ dir: opts.dir, command: opts.command, node: process.version, preload: opts.preload, work, differs, results: slim }, null, 2) + '\n');
  }
  process.exitCode = differs ? 1 : 0;
}

const fmtCounts = (c) => `${c.passed}/${c.failed}/${c.pending}`;

await main();
