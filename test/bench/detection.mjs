// Detection and stack-capture latency, measured from loopwatch's own reports.
//
//   npm run build && node test/bench/detection.mjs
//
// For each stall length, a child process under the preload blocks N times; each stall in the report
// carries `detectedAfterMs` (how late the 10 ms heartbeat was when the watchdog noticed: the detection
// latency, exact to within one heartbeat) and `captureMs` (detection to stack in hand).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

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
console.log(`node ${process.version}, ${os.cpus().length} cpus, heartbeat 10 ms, ${STALLS_PER_RUN} stalls per length, load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}\n`);
console.log('| stall | threshold | detection p50 | detection p95 | capture p50 | capture p95 | stacks captured |');
console.log('|---|---|---|---|---|---|---|');
for (const { length, threshold } of RUNS) {
  const report = path.join(dir, `report-${length}.json`);
  const result = spawnSync(process.execPath, ['--require', preload, script, JSON.stringify(Array(STALLS_PER_RUN).fill(length))], {
    env: { ...process.env, LOOPWATCH_REPORT: report, LOOPWATCH_LOG: 'off', LOOPWATCH_THRESHOLD_MS: String(threshold), LOOPWATCH_MAX_CAPTURES_PER_MIN: '1000' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`fixture failed: ${result.stderr}`);
  const stalls = JSON.parse(fs.readFileSync(report, 'utf8')).stalls;
  const detected = stalls.map((stall) => stall.detectedAfterMs).filter((value) => value !== undefined);
  const captured = stalls.map((stall) => stall.captureMs).filter((value) => value !== undefined);
  console.log(
    `| ${length} ms | ${threshold} ms | ${percentile(detected, 50)} ms | ${percentile(detected, 95)} ms | ${percentile(captured, 50)} ms | ${percentile(captured, 95)} ms | ${captured.length}/${stalls.length} |`,
  );
}
fs.rmSync(dir, { recursive: true });
