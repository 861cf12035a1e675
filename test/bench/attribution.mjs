// Attribution corpus: does the tool name the line that blocked? loopwatch vs blocked-at.
//
//   npm run build && node test/bench/attribution.mjs
//
// Each scenario is a small app whose blocking line carries a `// BLOCKING LINE` comment (the
// integration fixtures, plus bench-only ones in test/bench/fixtures/). Each runs once under each
// tool, in a child process, the way a user would run it:
// - loopwatch (`--require preload`): a hit when the report's worst site (`sites[0]`), or for a sync
//   API scenario the site of that API, for a start-up scenario the worst start-up site, or for a
//   saturated loop the busiest site (`busy.sites[0]`), is exactly the blocking file:line.
// - blocked-at (test/bench/preload-blocked-at.mjs, threshold 100 ms): a hit when ANY stack it
//   reported names the blocking file:line anywhere in the stack. This is the more lenient test, on
//   purpose: blocked-at reports where the blocking callback was scheduled, so demanding its top frame
//   would score it on something it does not claim to do.
// blocked-at runs with --enable-source-maps so its TypeScript stacks are mapped too: the best case.
// "reported" shows what each tool pointed at (first frame outside node: and node_modules).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const preload = path.join(root, 'preload', 'index.js');
const blockedAtPreload = path.join(here, 'preload-blocked-at.mjs');
const FIXTURES = path.join(root, 'test', 'integration', 'fixtures');
const BENCH_FIXTURES = path.join(here, 'fixtures');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-attribution-'));

/** The TypeScript fixture compiled with a source map, as test/integration/core/attribution.test.ts does. */
function compileOrders() {
  const source = path.join(FIXTURES, 'ts', 'orders.ts');
  const compiled = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
    fileName: source,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, sourceMap: true },
  });
  const map = JSON.parse(compiled.sourceMapText);
  map.sources = [source];
  const outFile = path.join(scratch, 'orders.js');
  fs.writeFileSync(outFile, compiled.outputText.replace(/\/\/# sourceMappingURL=.*$/m, '//# sourceMappingURL=orders.js.map'));
  fs.writeFileSync(path.join(scratch, 'orders.js.map'), JSON.stringify(map));
  return { source, run: outFile };
}

const fixture = (file, extra = {}) => ({ source: path.join(FIXTURES, file), run: path.join(FIXTURES, file), ...extra });
const scenarios = [
  { name: 'CPU loop in a timer callback', ...fixture('cpu-timer.js') },
  { name: 'regex catastrophic backtracking', ...fixture('regex.js') },
  { name: 'fs.writeFileSync to a FIFO read late', ...fixture('sync-fs.js', { api: 'fs.writeFileSync' }) },
  { name: 'crypto.pbkdf2Sync', ...fixture('sync-crypto.js', { api: 'crypto.pbkdf2Sync' }) },
  { name: 'zlib.gzipSync of 24 MiB', ...fixture('sync-zlib.js', { api: 'zlib.gzipSync' }) },
  { name: 'child_process.execSync', ...fixture('sync-exec.js', { api: 'child_process.execSync' }) },
  { name: 'JSON.parse of a big document', ...fixture('sync-json.js', { api: 'JSON.parse' }) },
  { name: 'Array.prototype.sort, costly comparator', source: path.join(BENCH_FIXTURES, 'sort.js'), run: path.join(BENCH_FIXTURES, 'sort.js') },
  { name: 'a dependency doing CPU work (typescript)', ...fixture('library-cpu.js') },
  { name: 'TypeScript via source maps', ...compileOrders() },
  { name: 'ESM, blocking after top-level await', ...fixture('esm-after-await.mjs') },
  // No build step: tsx transforms in memory, and only the main thread holds the map.
  { name: 'TypeScript without a build (tsx)', ...fixture('ts-nobuild/orders.ts'), nodeArgs: ['--import', 'tsx'] },
  { name: 'ESM named import of pbkdf2Sync', ...fixture('sync-esm.mjs', { api: 'crypto.pbkdf2Sync' }) },
  // Native calls that are not *Sync APIs: a capture lands only after they return.
  { name: 'structuredClone of a big object', ...fixture('native-structured-clone.js', { api: 'structuredClone' }) },
  { name: 'Buffer#toString base64 of 200 MB', ...fixture('native-base64.js', { api: 'Buffer#toString' }) },
  // Many short sync calls, none slow by itself.
  { name: 'a loop of short readFileSync calls', ...fixture('sync-many-short.js', { marker: 'READ LINE' }) },
  // A dependency loaded at start-up: the require() line, as module loading.
  // The fixture blocks about as long at runtime afterwards: the start-up site is the one asked about.
  { name: 'require() of a big dependency at start-up', ...fixture('phase-cjs.js', { marker: 'LOADING LINE', phase: 'startup' }) },
  // 300 ms of CPU work, then a 150 ms sync call at the next line: the CPU line is the worst site.
  { name: 'CPU work, then a sync call, in one callback', ...fixture('sync-split.js', { marker: 'CPU LINE' }) },
  // Every callback under the threshold, the loop 85% busy: the report's busy section, default window.
  { name: 'a saturated loop, no callback over 100 ms', ...fixture('saturated.js', { busy: true }), env: { SATURATED_RUN_MS: '8000' } },
  // A worker's own loop stalls, the main thread's does not: does the tool look beyond the main thread?
  {
    name: 'CPU loop in a worker thread',
    source: path.join(BENCH_FIXTURES, 'worker-cpu-thread.js'),
    run: path.join(BENCH_FIXTURES, 'worker-cpu.js'),
  },
];

function blockingLine(file, marker = 'BLOCKING LINE') {
  return fs.readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(marker)) + 1;
}

function run(args, env) {
  const childEnv = { ...process.env, ...env };
  // A preload from the caller's NODE_OPTIONS would mix the two tools.
  delete childEnv.NODE_OPTIONS;
  const result = spawnSync(process.execPath, args, { cwd: root, env: childEnv, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) process.stderr.write(`attribution: ${args.join(' ')} exited with ${result.status ?? result.signal}\n${result.stderr}\n`);
}

const short = (file, line) => `${path.relative(root, file.startsWith('file:') ? fileURLToPath(file) : file)}:${line}`;

function underLoopwatch(scenario, line) {
  const reportPath = path.join(scratch, `${path.basename(scenario.run)}.loopwatch.json`);
  run(['--require', preload, ...(scenario.nodeArgs ?? []), scenario.run], { ...scenario.env, LOOPWATCH_REPORT: reportPath, LOOPWATCH_LOG: 'off', LOOPWATCH_MODE: 'production' });
  let report;
  try {
    report = JSON.parse(fs.readFileSync(reportPath, 'utf8'));
  } catch {
    return { hit: false, reported: 'no report' };
  }
  if (scenario.busy) {
    const busiest = report.busy?.sites[0];
    if (!busiest) return { hit: false, reported: `no busy site (${report.busy?.totalMs ?? 0} ms busy)` };
    return { hit: busiest.file === scenario.source && busiest.line === line, reported: `${short(busiest.file, busiest.line)}, ${busiest.busyMs.toFixed(0)} ms busy` };
  }
  const site =
    (scenario.api && report.sites.find((candidate) => candidate.api === scenario.api)) ||
    (scenario.phase && report.sites.find((candidate) => candidate.phase === scenario.phase)) ||
    report.sites[0];
  if (!site) return { hit: false, reported: `no site (${report.stalls.length} stalls)` };
  return { hit: site.file === scenario.source && site.line === line, reported: `${short(site.file, site.line)}, ${site.maxMs.toFixed(0)} ms` };
}

function underBlockedAt(scenario, line) {
  const out = path.join(scratch, `${path.basename(scenario.run)}.blocked-at.jsonl`);
  run(['--enable-source-maps', '--import', blockedAtPreload, ...(scenario.nodeArgs ?? []), scenario.run], { ...scenario.env, BLOCKED_AT_OUT: out });
  const reports = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((text) => JSON.parse(text)) : [];
  if (reports.length === 0) return { hit: false, reported: 'nothing reported' };
  const wanted = [`${scenario.source}:${line}:`, `${pathToFileURL(scenario.source).href}:${line}:`];
  const hit = reports.some((report) => report.stack.some((frame) => wanted.some((needle) => frame.includes(needle))));
  // What a user would look at first: the first app frame of the longest report that has one (the
  // module-loading promise can be reported too, with nothing but Node internals in its stack).
  const appFrameOf = (report) =>
    report.stack
      .map((frame) => /(?:\(|at )((?:file:\/\/)?\/[^()]+?):(\d+):\d+\)?$/.exec(frame.trim()))
      .find((match) => match && !match[1].includes('node_modules'));
  const withFrame = reports.filter(appFrameOf).sort((a, b) => b.time - a.time)[0];
  const appFrame = withFrame && appFrameOf(withFrame);
  return { hit, reported: appFrame ? `${short(appFrame[1], appFrame[2])}, ${withFrame.time.toFixed(0)} ms` : `no app frame in ${reports.length} reports` };
}

const rows = [];
for (const scenario of scenarios) {
  const line = blockingLine(scenario.source, scenario.marker);
  const loopwatch = underLoopwatch(scenario, line);
  const blockedAt = underBlockedAt(scenario, line);
  rows.push({ scenario, line, loopwatch, blockedAt });
  process.stderr.write(`attribution: ${scenario.name}: loopwatch ${loopwatch.hit ? 'hit' : 'miss'}, blocked-at ${blockedAt.hit ? 'hit' : 'miss'}\n`);
}
fs.rmSync(scratch, { recursive: true, force: true });

const cell = (result) => `${result.hit ? 'yes' : 'no'} (${result.reported})`;
console.log(`\n### Attribution: is the blocking line named exactly?\n`);
console.log(`node ${process.version}, ${os.cpus().length} cpus, load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}\n`);
console.log('| scenario | blocking line | loopwatch (reported site, longest stall) | blocked-at (first app frame of its longest report, its time) |');
console.log('|---|---|---|---|');
for (const { scenario, line, loopwatch, blockedAt } of rows) {
  console.log(`| ${scenario.name} | ${short(scenario.source, line)} | ${cell(loopwatch)} | ${cell(blockedAt)} |`);
}
const total = (key) => rows.filter((row) => row[key].hit).length;
console.log(`| **total** | | **${total('loopwatch')}/${rows.length}** | **${total('blockedAt')}/${rows.length}** |`);
