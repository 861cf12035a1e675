// Throughput, p99 latency and memory cost of the agent and its alternatives on a small HTTP JSON
// service, driven by autocannon, A/B in one run.
//
//   npm run build && node test/bench/overhead.mjs [rounds=7] [seconds=3]
//
// Variants alternate round by round (and the order flips every other round), never all of A then all
// of B, so drift on a shared machine hits every variant alike. Ratios are paired: each round's
// variant divided by the same round's "no agent", then the median of those ratios, with their range
// (min-max) so the noise is on the page; absolute req/s and p99 are medians too. Each round starts a fresh server, warms it up (JIT, connections), then
// measures. The load generator runs in this process and the server in a child: on a 2-core machine
// they get a core each, and anything else running on the machine shows in the load average printed
// with the table.
import { fork } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const preload = path.resolve(here, '..', '..', 'preload', 'index.js');
const rounds = Number(process.argv[2] ?? 7);
const seconds = Number(process.argv[3] ?? 3);
const WARMUP_SECONDS = 1;
const CONNECTIONS = 32;

const variants = [
  { name: 'no agent', execArgv: [], env: {} },
  { name: 'loopwatch production', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'production' } },
  { name: 'loopwatch debug', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'debug' } },
  { name: 'prom-client default metrics', execArgv: ['--import', path.join(here, 'preload-prom-client.mjs')], env: {} },
  { name: 'blocked-at (threshold 100 ms)', execArgv: ['--import', path.join(here, 'preload-blocked-at.mjs')], env: {} },
];

function startServer(variant) {
  const env = { ...process.env, LOOPWATCH_LOG: 'off', ...variant.env };
  // NODE_OPTIONS from the caller (npm, a shell) would add a preload to the "no agent" baseline.
  delete env.NODE_OPTIONS;
  delete env.LOOPWATCH_REPORT;
  const child = fork(path.join(here, 'server.mjs'), [], { execArgv: variant.execArgv, env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', ({ port }) => resolve({ child, port }));
    child.once('exit', (code) => reject(new Error(`${variant.name}: server exited with ${code} before listening`)));
  });
}

async function drive(port, duration) {
  // autocannon's own percentiles come from an integer-millisecond histogram, too coarse for a
  // 1-4 ms p99; its 'response' event carries the fractional time, so the p99 is computed here.
  const latencies = [];
  const tracker = autocannon({ url: `http://127.0.0.1:${port}/42`, connections: CONNECTIONS, duration });
  tracker.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await tracker;
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${result.errors} errors, ${result.non2xx} non-2xx responses`);
  latencies.sort((a, b) => a - b);
  return { rps: result.requests.total / duration, p99: latencies[Math.floor(latencies.length * 0.99)] };
}

function ask(child, message) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(message);
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const loads = [os.loadavg()];
const results = new Map(variants.map((variant) => [variant.name, { rps: [], p99: [], rss: [] }]));
for (let round = 0; round < rounds; round++) {
  for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
    const { child, port } = await startServer(variant);
    child.removeAllListeners('exit');
    await drive(port, WARMUP_SECONDS);
    const { rps, p99 } = await drive(port, seconds);
    const { rss } = await ask(child, 'rss');
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    const entry = results.get(variant.name);
    entry.rps.push(rps);
    entry.p99.push(p99);
    entry.rss.push(rss);
  }
  loads.push(os.loadavg());
  process.stderr.write(`overhead: round ${round + 1}/${rounds} done, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}

const base = results.get('no agent');
const pairedRatios = (entry, key) => entry[key].map((value, round) => value / base[key][round]);
const ratioCell = (ratios, digits) => `${median(ratios).toFixed(digits)} (${Math.min(...ratios).toFixed(digits)}-${Math.max(...ratios).toFixed(digits)})`;
const fmtLoad = (load) => load.map((value) => value.toFixed(2)).join(', ');
console.log(`\n### Overhead: HTTP JSON service under autocannon\n`);
console.log(
  `node ${process.version}, ${os.cpus().length} cpus, ${CONNECTIONS} connections, ${rounds} rounds x ${seconds} s (+${WARMUP_SECONDS} s warm-up); ` +
    `load average (1, 5, 15 min) at start ${fmtLoad(loads[0])}, at end ${fmtLoad(loads.at(-1))}, highest 1-min seen ${Math.max(...loads.map((l) => l[0])).toFixed(2)}`,
);
console.log('');
console.log('| variant | req/s (median) | throughput vs no agent, median (range) | p99 latency (median) | p99 vs no agent, median (range) | RSS after load | RSS vs no agent |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, entry] of results) {
  const rss = median(entry.rss);
  const rssDelta = (rss - median(base.rss)) / 2 ** 20;
  console.log(
    `| ${name} | ${median(entry.rps).toFixed(0)} | ${ratioCell(pairedRatios(entry, 'rps'), 3)} | ${median(entry.p99).toFixed(2)} ms | ${ratioCell(pairedRatios(entry, 'p99'), 2)} | ${(rss / 2 ** 20).toFixed(1)} MiB | ${rssDelta >= 0 ? '+' : ''}${rssDelta.toFixed(1)} MiB |`,
  );
}
console.log('');
console.log(`per-round req/s: ${[...results].map(([name, entry]) => `${name}: ${entry.rps.map((v) => v.toFixed(0)).join(' ')}`).join('; ')}`);
