// Throughput, p99 latency and memory cost of the agent and its alternatives on a small HTTP JSON
// service, driven by autocannon, A/B in one run.
//
//   npm run build && node test/bench/overhead.mjs [rounds=7] [seconds=3] [--variants none,production-native,...] [--base DIR] [--rate N]
//
// --rate N sends N requests a second in all instead of as many as the server takes: a service at
// part load, where what loopwatch costs per second (its heartbeat and watchdog wake-ups) is spread
// over fewer requests than at saturation. Throughput is then fixed; CPU per request is the figure.
//
// --base DIR adds loopwatch from another built checkout (e.g. `git archive main | tar -x -C DIR`,
// then `npx tsc -p DIR/tsconfig.json` with node_modules linked) as the variant `base`, production
// mode, native capture: a change is then measured against the code it changes, round by round.
//
// loopwatch runs under each capture path (LOOPWATCH_CAPTURE=native, =inspector), side by side: the
// paths differ in what is loaded and started up front (the native module and its registration, or
// an inspector session), which is what a service without stalls pays. --variants picks by key
// (default: all of them, about 7 rounds x 7 variants x 4 s = 3.5 minutes).
//
// CPU per request (user + system time of the server process, every thread, over the measured
// seconds, divided by the requests served) is the steadier figure: throughput swings with how much
// CPU the server got from a shared machine, the cost of one request much less.
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
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const preload = path.resolve(here, '..', '..', 'preload', 'index.js');
const { values: flags, positionals } = parseArgs({ options: { variants: { type: 'string' }, base: { type: 'string' }, rate: { type: 'string' } }, allowPositionals: true });
const rate = flags.rate === undefined ? undefined : Number(flags.rate);
const rounds = Number(positionals[0] ?? 7);
const seconds = Number(positionals[1] ?? 3);
const WARMUP_SECONDS = 1;
const CONNECTIONS = 32;

const loopwatch = (mode, capture) => ({
  key: `${mode}-${capture}`,
  name: `loopwatch ${mode}, ${capture}`,
  execArgv: ['--require', preload],
  env: { LOOPWATCH_MODE: mode, LOOPWATCH_CAPTURE: capture },
});
const allVariants = [
  { key: 'none', name: 'no agent', execArgv: [], env: {} },
  loopwatch('production', 'native'),
  loopwatch('production', 'inspector'),
  loopwatch('debug', 'native'),
  loopwatch('debug', 'inspector'),
  { key: 'prom-client', name: 'prom-client default metrics', execArgv: ['--import', path.join(here, 'preload-prom-client.mjs')], env: {} },
  { key: 'blocked-at', name: 'blocked-at (threshold 100 ms)', execArgv: ['--import', path.join(here, 'preload-blocked-at.mjs')], env: {} },
];
if (flags.base !== undefined) {
  allVariants.push({ key: 'base', name: 'loopwatch production, native (base)', execArgv: ['--require', path.resolve(flags.base, 'preload', 'index.js')], env: { LOOPWATCH_MODE: 'production', LOOPWATCH_CAPTURE: 'native' } });
}
const variants = pickVariants(flags.variants);

/** The variants named by --variants, always with the "no agent" baseline every ratio divides by. */
function pickVariants(list) {
  if (list === undefined) return allVariants;
  const keys = new Set(['none', ...list.split(',').map((key) => key.trim())]);
  const unknown = [...keys].filter((key) => !allVariants.some((variant) => variant.key === key));
  if (unknown.length > 0) throw new Error(`--variants: unknown ${unknown.join(', ')}; known: ${allVariants.map((variant) => variant.key).join(', ')}`);
  return allVariants.filter((variant) => keys.has(variant.key));
}

// The warnings loopwatch prints when the capture path asked for cannot start: the variant would then
// measure "no stacks" under a name that says otherwise.
const NO_CAPTURE_WARNING = /\[LOOPWATCH_NO_(NATIVE_CAPTURE|INSPECTOR)\]/;

function startServer(variant) {
  const env = { ...process.env, LOOPWATCH_LOG: 'off', ...variant.env };
  // NODE_OPTIONS from the caller (npm, a shell) would add a preload to the "no agent" baseline.
  delete env.NODE_OPTIONS;
  delete env.LOOPWATCH_REPORT;
  const child = fork(path.join(here, 'server.mjs'), [], { execArgv: variant.execArgv, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  // stderr is passed through, and kept to be checked for a capture path that did not start.
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    stderr += chunk;
  });
  const checkCapture = () => {
    if (NO_CAPTURE_WARNING.test(stderr)) throw new Error(`${variant.name}: the capture path did not start (warning above); this variant would measure the wrong thing`);
  };
  return new Promise((resolve, reject) => {
    child.once('message', ({ port }) => resolve({ child, port, checkCapture }));
    child.once('exit', (code) => reject(new Error(`${variant.name}: server exited with ${code} before listening`)));
  });
}

async function drive(port, duration) {
  // autocannon's own percentiles come from an integer-millisecond histogram, too coarse for a
  // 1-4 ms p99; its 'response' event carries the fractional time, so the p99 is computed here.
  const latencies = [];
  const tracker = autocannon({ url: `http://127.0.0.1:${port}/42`, connections: CONNECTIONS, duration, ...(rate !== undefined ? { overallRate: rate } : {}) });
  tracker.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await tracker;
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${result.errors} errors, ${result.non2xx} non-2xx responses`);
  latencies.sort((a, b) => a - b);
  return { requests: result.requests.total, rps: result.requests.total / duration, p99: latencies[Math.floor(latencies.length * 0.99)] };
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
const results = new Map(variants.map((variant) => [variant.name, { rps: [], p99: [], rss: [], cpu: [] }]));
for (let round = 0; round < rounds; round++) {
  for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
    const { child, port, checkCapture } = await startServer(variant);
    child.removeAllListeners('exit');
    await drive(port, WARMUP_SECONDS);
    const before = (await ask(child, 'cpu')).cpu;
    const { requests, rps, p99 } = await drive(port, seconds);
    const after = (await ask(child, 'cpu')).cpu;
    const { rss } = await ask(child, 'rss');
    child.send('stop');
    // 'close', not 'exit': by then all of its stderr has been read.
    await new Promise((resolve) => child.once('close', resolve));
    checkCapture();
    const entry = results.get(variant.name);
    entry.rps.push(rps);
    entry.p99.push(p99);
    entry.rss.push(rss);
    // CPU time per request, in microseconds: steadier than throughput on a shared machine, since
    // it does not depend on how much CPU the server got, only on what each request cost it.
    entry.cpu.push((after.user - before.user + after.system - before.system) / requests);
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
  `node ${process.version}, ${os.cpus().length} cpus, ${CONNECTIONS} connections${rate !== undefined ? ` at ${rate} requests/s in all` : ''}, ${rounds} rounds x ${seconds} s (+${WARMUP_SECONDS} s warm-up); ` +
    `load average (1, 5, 15 min) at start ${fmtLoad(loads[0])}, at end ${fmtLoad(loads.at(-1))}, highest 1-min seen ${Math.max(...loads.map((l) => l[0])).toFixed(2)}`,
);
console.log('');
console.log('| variant | req/s (median) | throughput vs no agent, median (range) | p99 latency (median) | p99 vs no agent, median (range) | CPU per request (median) | CPU vs no agent, median (range) | RSS after load | RSS vs no agent |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [name, entry] of results) {
  const rss = median(entry.rss);
  const rssDelta = (rss - median(base.rss)) / 2 ** 20;
  console.log(
    `| ${name} | ${median(entry.rps).toFixed(0)} | ${ratioCell(pairedRatios(entry, 'rps'), 3)} | ${median(entry.p99).toFixed(2)} ms | ${ratioCell(pairedRatios(entry, 'p99'), 2)} | ${median(entry.cpu).toFixed(1)} µs | ${ratioCell(pairedRatios(entry, 'cpu'), 3)} | ${(rss / 2 ** 20).toFixed(1)} MiB | ${rssDelta >= 0 ? '+' : ''}${rssDelta.toFixed(1)} MiB |`,
  );
}
const change = results.get('loopwatch production, native');
const baseline = results.get('loopwatch production, native (base)');
if (change !== undefined && baseline !== undefined) {
  const against = (key) => change[key].map((value, round) => value / baseline[key][round]);
  console.log(`\nthis checkout vs base (production, native), paired per round, median (range): CPU per request ${ratioCell(against('cpu'), 3)}, req/s ${ratioCell(against('rps'), 3)}, p99 ${ratioCell(against('p99'), 2)}`);
}
console.log('');
console.log(`per-round req/s: ${[...results].map(([name, entry]) => `${name}: ${entry.rps.map((v) => v.toFixed(0)).join(' ')}`).join('; ')}`);
