// Cost of a storm of distinct unhandled rejections (each with its own message, so past the report
// table's 50 kinds almost none is kept), A/B in one run: no agent, and loopwatch production with
// its log on (to a file: the rate limit decides which rejections get a line, and a stack read).
//
//   npm run build && node test/bench/rejection-storm.mjs [rounds=7] [rejections=20000]
//
// LOOPWATCH_BENCH_OTHER=<folder of another loopwatch checkout, built> adds that build as a third
// variant, alternated with the others: before/after a change, in one run.
//
// Each measurement is a fresh process; variants alternate round by round, so drift on a shared
// machine hits both alike; the table shows medians. Not a test: nothing asserts a time.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const preload = path.resolve(here, '..', '..', 'preload', 'index.js');
const rounds = Number(process.argv[2] ?? 7);
const rejections = Number(process.argv[3] ?? 20_000);
const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-bench-')), 'loopwatch.log');

const variants = [
  { name: 'no agent', execArgv: [], env: {} },
  { name: 'loopwatch production, log to a file', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'production', LOOPWATCH_LOG: log } },
];
if (process.env.LOOPWATCH_BENCH_OTHER) {
  const other = path.resolve(process.env.LOOPWATCH_BENCH_OTHER, 'preload', 'index.js');
  variants.push({ name: `production at ${process.env.LOOPWATCH_BENCH_OTHER}`, execArgv: ['--require', other], env: { LOOPWATCH_MODE: 'production', LOOPWATCH_LOG: log } });
}

// Batches of 1,000 rejections, one batch per turn (Node reports unhandled rejections between
// turns), handled by the app's own listener so the process lives on. Prints its duration in ms,
// measured until a timer after the last batch has run (loopwatch reads stacks a turn later).
const workload = `
process.on('unhandledRejection', () => {});
const total = ${rejections};
let made = 0;
setTimeout(() => {
  const started = process.hrtime.bigint();
  const batch = () => {
    for (let i = 0; i < 1000; i++, made++) Promise.reject(new Error('order ' + made + ' failed'));
    if (made < total) setImmediate(batch);
    else setTimeout(() => process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6)), 0);
  };
  batch();
}, 300);
`;

function measure(variant) {
  const output = execFileSync(process.execPath, [...variant.execArgv, '-e', workload], {
    env: { ...process.env, LOOPWATCH_LOG: 'off', LOOPWATCH_REPORT: '', NODE_OPTIONS: '', ...variant.env },
    encoding: 'utf8',
  });
  return Number(output);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const times = new Map(variants.map((variant) => [variant.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) times.get(variant.name).push(measure(variant));
}

const base = median(times.get('no agent'));
console.log(`rejection storm: ${rejections} distinct unhandled rejections, ${rounds} rounds, median; node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}`);
console.log('| variant | median ms | ratio to no agent | all rounds (ms) |');
console.log('|---|---|---|---|');
for (const variant of variants) {
  const values = times.get(variant.name);
  const value = median(values);
  console.log(`| ${variant.name} | ${value.toFixed(1)} | ${(value / base).toFixed(2)}x | ${values.map((v) => v.toFixed(0)).join(' ')} |`);
}
