// Detection and stack-capture latency, measured from loopwatch's own reports, for each capture path.
//
//   npm run build && node test/bench/detection.mjs [--capture native,inspector]
//
// For each stall length, a child process under the preload blocks N times; each stall in the report
// carries `detectedAfterMs` (how late the 10 ms heartbeat was when the watchdog noticed: the detection
// latency, exact to within one heartbeat) and `captureMs` (detection to stack in hand).
// Every stall length runs once per capture path (LOOPWATCH_CAPTURE=native, =inspector), the paths
// back to back and in alternating order, so the two rows of a length saw the same machine.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const preload = path.join(root, 'preload', 'index.js');
// The 50 ms stall runs with a 25 ms threshold: under the default 100 ms it is not a stall at all.
const RUNS = [
  { length: 50, threshold: 25 },
  { length: 150, threshold: 100 },
  { length: 300, threshold: 100 },
  { length: 1000, threshold: 100 },
  { length: 2000, threshold: 100 },
];
const STALLS_PER_RUN = 8;
const PATHS = ['native', 'inspector'];
const { values: flags } = parseArgs({ options: { capture: { type: 'string', default: PATHS.join(',') } } });
const paths = flags.capture.split(',').map((name) => name.trim());
for (const name of paths) if (!PATHS.includes(name)) throw new Error(`--capture: unknown path ${name}; known: ${PATHS.join(', ')}`);

const fixture = `
const lengths = JSON.parse(process.argv[2]);
let i = 0;
function next() {
  if (i >= lengths.length) return;
  const end = Date.now() + lengths[i++];
  while (Date.now() < end);
  setTimeout(next, 150);
}
setTimeout(next, 400);
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-bench-'));
const script = path.join(dir, 'stalls.js');
fs.writeFileSync(script, fixture);

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

console.log(`\n### Detection and stack-capture latency\n`);
console.log(`node ${process.version}, ${os.cpus().length} cpus, heartbeat 10 ms, capture paths ${paths.join(' and ')}, ${STALLS_PER_RUN} stalls per length, load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}\n`);
/** One child, STALLS_PER_RUN stalls of one length, under one capture path: the report's stalls. */
function runStalls(length, threshold, capture) {
  const report = path.join(dir, `report-${length}-${capture}.json`);
  const env = { ...process.env, LOOPWATCH_REPORT: report, LOOPWATCH_LOG: 'off', LOOPWATCH_THRESHOLD_MS: String(threshold), LOOPWATCH_MAX_CAPTURES_PER_MIN: '1000', LOOPWATCH_CAPTURE: capture };
  // NODE_OPTIONS from the caller (npm, a shell) could load a second agent into the child.
  delete env.NODE_OPTIONS;
  const result = spawnSync(process.execPath, ['--require', preload, script, JSON.stringify(Array(STALLS_PER_RUN).fill(length))], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`fixture failed (${capture}, ${result.signal ?? `exit code ${result.status}`}): ${result.stderr}`);
  const parsed = JSON.parse(fs.readFileSync(report, 'utf8'));
  // A path that could not start falls back to no stacks: its row would time nothing.
  if (parsed.capture !== capture) throw new Error(`asked for LOOPWATCH_CAPTURE=${capture}, the report says ${parsed.capture}`);
  return parsed.stalls;
}

function row(length, threshold, capture, stalls) {
  const detected = stalls.map((stall) => stall.detectedAfterMs).filter((value) => value !== undefined);
  const captured = stalls.map((stall) => stall.captureMs).filter((value) => value !== undefined);
  const cell = (values, p) => (values.length > 0 ? `${percentile(values, p)} ms` : '-');
  return `| ${length} ms | ${threshold} ms | ${capture} | ${cell(detected, 50)} | ${cell(detected, 95)} | ${cell(captured, 50)} | ${cell(captured, 95)} | ${captured.length}/${stalls.length} |`;
}

console.log('| stall | threshold | capture path | detection p50 | detection p95 | capture p50 | capture p95 | stacks captured |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [index, { length, threshold }] of RUNS.entries()) {
  // Alternate which path goes first, so neither always runs on the warmer (or busier) machine.
  const order = index % 2 === 0 ? paths : [...paths].reverse();
  const rows = new Map(order.map((capture) => [capture, row(length, threshold, capture, runStalls(length, threshold, capture))]));
  for (const capture of paths) console.log(rows.get(capture));
  process.stderr.write(`detection: ${length} ms done\n`);
}
fs.rmSync(dir, { recursive: true });
