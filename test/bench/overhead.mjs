// Throughput and latency cost of the agent on a small HTTP JSON service, A/B in one run.
//
//   npm run build && node test/bench/overhead.mjs [rounds=5] [seconds=4]
//
// Variants alternate round by round (never all of A then all of B), so drift on a shared machine
// hits every variant alike; the table shows medians and ratios to "no agent".
import { fork } from 'node:child_process';
import http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const preload = path.resolve(here, '..', '..', 'preload', 'index.js');
const rounds = Number(process.argv[2] ?? 5);
const seconds = Number(process.argv[3] ?? 4);
const CONNECTIONS = 32;

const variants = [
  { name: 'no agent', execArgv: [], env: {} },
  { name: 'loopwatch production', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'production' } },
  ...(process.env.BENCH_EXTRA_VARIANTS ? JSON.parse(process.env.BENCH_EXTRA_VARIANTS) : []),
];

function startServer(variant) {
  const child = fork(path.join(here, 'server.mjs'), [], {
    execArgv: variant.execArgv,
    env: { ...process.env, LOOPWATCH_LOG: 'off', ...variant.env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve) => child.once('message', ({ port }) => resolve({ child, port })));
}

async function drive(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies = [];
  const deadline = Date.now() + seconds * 1000;
  let completed = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      http
        .get({ host: '127.0.0.1', port, path: `/${completed % 100}`, agent }, (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            completed += 1;
            resolve();
          });
        })
        .on('error', reject);
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: completed / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = new Map(variants.map((variant) => [variant.name, { rps: [], p99: [], rss: [] }]));
for (let round = 0; round < rounds; round++) {
  for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
    const { child, port } = await startServer(variant);
    await drive(port); // warm-up: JIT, connection set-up
    const { rps, p99 } = await drive(port);
    child.send('rss');
    const rss = await new Promise((resolve) => child.once('message', (message) => resolve(message.rss)));
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    const entry = results.get(variant.name);
    entry.rps.push(rps);
    entry.p99.push(p99);
    entry.rss.push(rss);
  }
}

const base = results.get('no agent');
console.log(`node ${process.version}, ${os.cpus().length} cpus, ${CONNECTIONS} keep-alive connections, ${rounds} rounds x ${seconds} s, medians`);
console.log('| variant | req/s | throughput vs no agent | p99 latency | p99 vs no agent | RSS | RSS vs no agent |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, entry] of results) {
  const rps = median(entry.rps);
  const p99 = median(entry.p99);
  const rss = median(entry.rss);
  console.log(
    `| ${name} | ${rps.toFixed(0)} | ${(rps / median(base.rps)).toFixed(3)} | ${p99.toFixed(2)} ms | ${(p99 / median(base.p99)).toFixed(2)} | ${(rss / 2 ** 20).toFixed(1)} MiB | +${((rss - median(base.rss)) / 2 ** 20).toFixed(1)} MiB |`,
  );
}
