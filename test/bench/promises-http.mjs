// Cost of promise diagnostics on a small HTTP JSON service (a few awaits per request): no agent,
// production (floating detection off), production with LOOPWATCH_FLOATING_SAMPLE=100, and debug
// mode (every promise tracked with its creation stack).
//
//   npm run build && node test/bench/promises-http.mjs [rounds=3] [seconds=3]
//
// Variants alternate round by round, so drift on a shared machine hits every variant alike; the
// table shows medians and ratios to "no agent". Not a test: nothing asserts a time.
import { spawn } from 'node:child_process';
import http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const preload = path.resolve(here, '..', '..', 'preload', 'index.js');
const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 3);
const CONNECTIONS = 16;

const variants = [
  { name: 'no agent', execArgv: [], env: {} },
  { name: 'production (floating off)', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'production' } },
  { name: 'production, FLOATING_SAMPLE=100', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'production', LOOPWATCH_FLOATING_SAMPLE: '100' } },
  { name: 'debug mode', execArgv: ['--require', preload], env: { LOOPWATCH_MODE: 'debug' } },
];

// The service: two awaited async loads per request, like real service code. Prints its port.
const server = `
const http = require('node:http');
const wait = () => new Promise((resolve) => setImmediate(resolve));
async function loadUser(id) { await wait(); return { id, name: 'user-' + id }; }
async function loadOrders(user) { await wait(); return Array.from({ length: 5 }, (_, i) => ({ id: i, owner: user.id })); }
const server = http.createServer(async (request, response) => {
  const user = await loadUser(Number(request.url.slice(1)) || 1);
  const orders = await loadOrders(user);
  response.end(JSON.stringify({ user, orders }));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.stdin.on('data', () => server.close(() => process.exit(0)));
`;

function startServer(variant) {
  const child = spawn(process.execPath, [...variant.execArgv, '-e', server], {
    env: { ...process.env, LOOPWATCH_LOG: 'off', NODE_OPTIONS: '', ...variant.env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => child.stdout.once('data', (chunk) => resolve({ child, port: Number(String(chunk).trim()) })));
}

async function drive(port, forSeconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const deadline = Date.now() + forSeconds * 1000;
  let completed = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: `/${completed % 100}`, agent }, (response) => {
          response.resume();
          response.on('end', resolve);
        })
        .on('error', reject);
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < deadline) {
        await one();
        completed += 1;
      }
    }),
  );
  agent.destroy();
  return completed / forSeconds;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = new Map(variants.map((variant) => [variant.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
    const { child, port } = await startServer(variant);
    await drive(port, 1); // warm-up: JIT, connections
    results.get(variant.name).push(await drive(port, seconds));
    child.stdin.end('stop');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const base = median(results.get('no agent'));
console.log(`promise diagnostics on HTTP: ${CONNECTIONS} keep-alive connections, ${rounds} rounds x ${seconds} s, medians; node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}`);
console.log('| variant | req/s | throughput vs no agent | all rounds (req/s) |');
console.log('|---|---|---|---|');
for (const [name, values] of results) {
  console.log(`| ${name} | ${median(values).toFixed(0)} | ${(median(values) / base).toFixed(2)} | ${values.map((v) => v.toFixed(0)).join(' ')} |`);
}
