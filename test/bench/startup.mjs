// Start-up cost per process: an idle app's wall time (spawn to exit) and peak RSS, with no agent
// and with loopwatch on each capture path, alternating run by run, paired medians.
//
//   npm run build && node test/bench/startup.mjs [runs=15]
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const preload = path.resolve(here, '..', '..', 'preload', 'index.js');
const runs = Number(process.argv[2] ?? 15);
// The app prints its own peak RSS at exit: loopwatch never writes to stdout, so stdout is the app's.
const APP = "process.on('exit', () => process.stdout.write(String(process.resourceUsage().maxRSS)))";
// The floor of the design: one worker thread with an empty script, nothing loaded in it.
const EMPTY_WORKER = "new (require('node:worker_threads').Worker)('', { eval: true }).unref();";
const VARIANTS = [
  { name: 'no agent', args: [], env: {} },
  { name: 'an empty worker thread (the floor)', args: [], env: {}, prefix: EMPTY_WORKER },
  { name: 'loopwatch, native', args: ['--require', preload], env: { LOOPWATCH_CAPTURE: 'native' } },
  { name: 'loopwatch, native, LOOPWATCH_SYNC_APIS=false', args: ['--require', preload], env: { LOOPWATCH_CAPTURE: 'native', LOOPWATCH_SYNC_APIS: 'false' } },
  { name: 'loopwatch, inspector', args: ['--require', preload], env: { LOOPWATCH_CAPTURE: 'inspector' } },
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = VARIANTS.map(() => ({ ms: [], rssKiB: [] }));
for (let run = 0; run < runs; run++) {
  const order = run % 2 === 0 ? VARIANTS.map((_, i) => i) : VARIANTS.map((_, i) => VARIANTS.length - 1 - i);
  for (const i of order) {
    const env = { ...process.env, ...VARIANTS[i].env };
    delete env.NODE_OPTIONS;
    const started = performance.now();
    const child = spawnSync(process.execPath, [...VARIANTS[i].args, '-e', (VARIANTS[i].prefix ?? '') + APP], { env, encoding: 'utf8' });
    results[i].ms.push(performance.now() - started);
    results[i].rssKiB.push(Number(child.stdout));
  }
}
console.log(`\n### Start-up: an idle app, spawn to exit\n`);
console.log(`node ${process.version}, ${os.cpus().length} cpus, ${runs} alternating runs per variant, load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}\n`);
console.log('| variant | wall time (median) | vs no agent | peak RSS (median) | vs no agent |');
console.log('|---|---|---|---|---|');
VARIANTS.forEach((variant, i) => {
  const ms = median(results[i].ms);
  const rss = median(results[i].rssKiB) / 1024;
  const baseMs = median(results[0].ms);
  const baseRss = median(results[0].rssKiB) / 1024;
  console.log(`| ${variant.name} | ${ms.toFixed(0)} ms | +${(ms - baseMs).toFixed(0)} ms | ${rss.toFixed(1)} MiB | +${(rss - baseRss).toFixed(1)} MiB |`);
});
