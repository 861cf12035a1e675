// Start-up cost per process: an idle app's wall time (spawn to exit) and peak RSS, with no agent
// and with loopwatch on each capture path, alternating run by run, paired medians.
//
//   npm run build && node test/bench/startup.mjs [runs=15]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
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
// loopwatch's code cache (src/code-cache.ts) is written by the first start and read by the next:
// one untimed run of each variant first, so that the rows measure the starts that read it, and two
// rows for the starts that do not: the very first one (which writes it) and every one with it off.
const freshCacheFolder = () => fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-bench-cache-'));
const VARIANTS = [
  { name: 'no agent', args: [], env: {} },
  { name: 'an empty worker thread (the floor)', args: [], env: {}, prefix: EMPTY_WORKER },
  { name: 'loopwatch, native', args: ['--require', preload], env: { LOOPWATCH_CAPTURE: 'native' } },
  { name: 'loopwatch, native, first start (writes the code cache)', args: ['--require', preload], env: { LOOPWATCH_CAPTURE: 'native' }, freshCache: true },
  { name: 'loopwatch, native, LOOPWATCH_CODE_CACHE=off', args: ['--require', preload], env: { LOOPWATCH_CAPTURE: 'native', LOOPWATCH_CODE_CACHE: 'off' } },
  { name: 'loopwatch, native, LOOPWATCH_SYNC_APIS=false', args: ['--require', preload], env: { LOOPWATCH_CAPTURE: 'native', LOOPWATCH_SYNC_APIS: 'false' } },
  { name: 'loopwatch, inspector', args: ['--require', preload], env: { LOOPWATCH_CAPTURE: 'inspector' } },
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = VARIANTS.map(() => ({ ms: [], rssKiB: [] }));
function start(variant) {
  const env = { ...process.env, ...variant.env };
  if (variant.freshCache) env.LOOPWATCH_CODE_CACHE = freshCacheFolder();
  delete env.NODE_OPTIONS;
  const started = performance.now();
  const child = spawnSync(process.execPath, [...variant.args, '-e', (variant.prefix ?? '') + APP], { env, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (variant.freshCache) fs.rmSync(env.LOOPWATCH_CODE_CACHE, { recursive: true, force: true });
  return { ms, rssKiB: Number(child.stdout) };
}
// The watchdog worker writes its own cache once it has run its bundle, which an idle app's exit
// can cut short: a start that lives 200 ms writes both.
spawnSync(process.execPath, ['--require', preload, '-e', 'setTimeout(() => {}, 200)'], { env: { ...process.env, NODE_OPTIONS: '' } });
for (const variant of VARIANTS) start(variant);
for (let run = 0; run < runs; run++) {
  const order = run % 2 === 0 ? VARIANTS.map((_, i) => i) : VARIANTS.map((_, i) => VARIANTS.length - 1 - i);
  for (const i of order) {
    const { ms, rssKiB } = start(VARIANTS[i]);
    results[i].ms.push(ms);
    results[i].rssKiB.push(rssKiB);
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
