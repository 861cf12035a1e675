// Cost of promise diagnostics on an await-heavy microbenchmark, A/B in one run: no agent, production
// (floating detection off: no promise hooks), production with LOOPWATCH_FLOATING_SAMPLE=100, and
// debug mode (every promise tracked, with its creation stack).
//
//   npm run build && node test/bench/promises.mjs [rounds=7] [calls=300000]
//
// Each measurement is a fresh process running the workload after a warm-up pass. Variants
// alternate round by round (never all of A then all of B), so drift on a shared machine hits every
// variant alike; the table shows medians and ratios to "no agent". Not a test: nothing asserts a time.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const preload = path.resolve(here, '..', '..', 'preload', 'index.js');
const rounds = Number(process.argv[2] ?? 7);
const calls = Number(process.argv[3] ?? 300_000);

const variants = [
  { name: 'no agent', execArgv: [], env: {} },
  { name: 'production (floating off)', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'production' } },
  { name: 'production, FLOATING_SAMPLE=100', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'production', LOOPWATCH_FLOATING_SAMPLE: '100' } },
  { name: 'debug mode', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'debug' } },
];

// The workload: `calls` awaited async calls, each awaiting a resolved promise and a nested async
// call, in batches joined by Promise.all. Prints its own duration in ms (process start excluded).
// It yields to the event loop after every batch, as a server does between requests: a workload
// that never yields is one long stall, and the watchdog's stack capture (Debugger enabled for the
// capture, 7-9x on promise code) would be measured instead of the promise diagnostics.
const workload = `
const turn = () => new Promise((resolve) => setImmediate(resolve));
const leaf = async (n) => n + 1;
const mid = async (n) => (await leaf(n)) + (await Promise.resolve(1));
async function pass(total) {
  let sum = 0;
  for (let done = 0; done < total; done += 100) {
    const batch = [];
    for (let i = 0; i < 100; i++) batch.push(mid(i));
    for (const value of await Promise.all(batch)) sum += value;
    sum += await mid(done);
    await turn();
  }
  return sum;
}
(async () => {
  // Let the watchdog worker start first (it is a thread of its own, on a 2-core machine).
  await new Promise((resolve) => setTimeout(resolve, 300));
  await pass(${Math.max(1000, Math.floor(calls / 10))});
  const started = process.hrtime.bigint();
  await pass(${calls});
  process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));
})();
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
console.log(`promise diagnostics cost: ${calls} awaited calls, ${rounds} rounds, median; node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}`);
console.log('| variant | median ms | ratio to no agent | all rounds (ms) |');
console.log('|---|---|---|---|');
for (const variant of variants) {
  const values = times.get(variant.name);
  const value = median(values);
  console.log(`| ${variant.name} | ${value.toFixed(1)} | ${(value / base).toFixed(2)}x | ${values.map((v) => v.toFixed(0)).join(' ')} |`);
}
