// Soak: does the agent's memory stay flat over minutes of load with stalls at ever new call sites?
// An HTTP JSON service (soak-server.mjs) under continuous autocannon load blocks its event
// loop once a second, each time at a line it never blocked at before (120-300 ms busy loops over
// 2,000 generated functions, plus a ~170 ms zlib.gzipSync and a ~40 ms JSON.parse of a 5.5 MB
// document every 10 s), and leaves two promise rejections a second unhandled (200 distinct
// messages) plus one every 2 s that gets its handler a second late. With the agent, /metrics is
// scraped every 2 s and the report and log are written to a scratch folder.
//
//   npm run build && node test/bench/soak.mjs [minutes=3]
//
// Each variant runs once for that long: "no agent" first, then "loopwatch production", sequentially,
// not alternated in segments: memory is a fresh process's own, not a share of the machine, so drift
// in the machine's load does not move it the way it moves throughput. The baseline shows what growth
// is the app's and Node's own. Every 10 s the server forces a full GC (--expose-gc, in both
// variants) and reports its RSS and heapUsed, so heap numbers are retained memory, not garbage, and
// with the agent also the watchdog worker's heap after a GC of its own (through the inspector, see
// soak-server.mjs). Growth is measured from the first sample after a 60 s warm-up to the last one.
// Both variants run with a fixed young generation (see NODE_FLAGS), so V8 resizing it is not growth.
//
// The agent's tables are capped: sites (LOOPWATCH_MAX_SITES, default 1000), longest stalls
// (LOOPWATCH_MAX_STALLS, 100), metric site labels (LOOPWATCH_METRICS_MAX_SITES, 50), rejections
// (50). At one stall a second and at most 30 stack captures a minute (the default), the default
// site cap would fill after ~30 minutes; here those three caps are 20 unless set in the environment,
// so every table is full within the warm-up and keeps evicting into `overflow` for the rest of the
// run: growth after the warm-up is not a table filling up to its cap. For a long soak at the
// defaults: LOOPWATCH_MAX_SITES=1000 LOOPWATCH_MAX_STALLS=100 LOOPWATCH_METRICS_MAX_SITES=50 node test/bench/soak.mjs 45
//
// The load generator and the sampling run in this process, the server in a child. Not a test:
// nothing asserts a number.
import { execFileSync, fork } from 'node:child_process';
import * as fs from 'node:fs';
import http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const preload = path.join(root, 'preload', 'index.js');
const minutes = Number(process.argv[2] ?? 3);
const CONNECTIONS = 16;
const SAMPLE_EVERY_S = 10;
const WARMUP_S = 60;
const SCRAPE_EVERY_MS = 2000;
const SOAK_CAP = '20';
const MiB = 2 ** 20;

const agentEnv = (scratch) => ({
  LOOPWATCH_MODE: 'production',
  LOOPWATCH_REPORT: path.join(scratch, 'report-{pid}.json'),
  LOOPWATCH_LOG: path.join(scratch, 'loopwatch.log'),
  LOOPWATCH_METRICS_PORT: '0',
  LOOPWATCH_MAX_SITES: process.env.LOOPWATCH_MAX_SITES ?? SOAK_CAP,
  LOOPWATCH_MAX_STALLS: process.env.LOOPWATCH_MAX_STALLS ?? SOAK_CAP,
  LOOPWATCH_METRICS_MAX_SITES: process.env.LOOPWATCH_METRICS_MAX_SITES ?? SOAK_CAP,
});
// A young generation of fixed size: under this allocation rate V8 (Node 24 seen) doubles it in one
// step, +64 MiB of RSS at a moment that depends on timing, in one variant's run and not the other's.
const NODE_FLAGS = ['--expose-gc', '--max-semi-space-size=16'];
const variants = [
  { name: 'no agent', agent: false, execArgv: NODE_FLAGS, env: () => ({}) },
  { name: 'loopwatch production', agent: true, execArgv: [...NODE_FLAGS, '--require', preload], env: agentEnv },
];

function startServer(variant, scratch) {
  const env = { ...process.env };
  // NODE_OPTIONS from the caller (npm, a shell) would add a preload to the "no agent" baseline, and
  // the caller's LOOPWATCH_* would change the agent under test.
  delete env.NODE_OPTIONS;
  for (const name of Object.keys(env)) if (name.startsWith('LOOPWATCH_')) delete env[name];
  Object.assign(env, variant.env(scratch));
  const child = fork(path.join(here, 'soak-server.mjs'), [scratch], { execArgv: variant.execArgv, env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  // With LOOPWATCH_METRICS_PORT=0 the agent prints where it listens on stderr; the rest passes through.
  const metricsPort = new Promise((resolve) => {
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      const found = /^loopwatch: metrics on http:\/\/[^/]+:(\d+)\/metrics/.exec(line);
      if (found) resolve(Number(found[1]));
      else process.stderr.write(`${line}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    child.once('message', ({ port }) => resolve({ child, port, metricsPort }));
    child.once('exit', (code) => reject(new Error(`${variant.name}: server exited with ${code} before listening`)));
  });
}

function ask(child, message) {
  return new Promise((resolve, reject) => {
    const onExit = (code, signal) => reject(new Error(`server exited (${signal ?? code}) during the soak`));
    child.once('exit', onExit);
    child.once('message', (reply) => {
      child.off('exit', onExit);
      resolve(reply);
    });
    child.send(message);
  });
}

/** One GET /metrics: its size and its number of series (lines that are not comments). */
function scrape(port) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => {
          if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode}`));
          else resolve({ bytes: Buffer.byteLength(body), series: body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length });
        });
      })
      .on('error', reject);
  });
}

/**
 * Scrapes every SCRAPE_EVERY_MS once the port is known. `latest` is the last good scrape (for the
 * sample table: the endpoint's output must stay bounded too); `stop` returns the tally.
 */
function scrapeMetrics(metricsPort) {
  const tally = { ok: 0, failed: 0, firstError: null, first: null, last: null };
  let timer = null;
  let stopped = false;
  // A scrape still in flight when the server stops fails with it: not the agent's failure.
  const unlessStopped = (update) => (result) => {
    if (!stopped) update(result);
  };
  void metricsPort.then((port) => {
    if (stopped) return;
    timer = setInterval(() => {
      scrape(port).then(
        unlessStopped((result) => {
          tally.ok += 1;
          tally.first ??= result;
          tally.last = result;
        }),
        unlessStopped((error) => {
          tally.failed += 1;
          tally.firstError ??= error.message;
        }),
      );
    }, SCRAPE_EVERY_MS);
  });
  return {
    latest: () => tally.last,
    stop() {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      return tally;
    },
  };
}
const NO_SCRAPING = { latest: () => null, stop: () => null };

async function soak(variant) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-soak-'));
  const loadAtStart = os.loadavg();
  const { child, port, metricsPort } = await startServer(variant, scratch);
  child.removeAllListeners('exit');
  const scraper = variant.agent ? scrapeMetrics(metricsPort) : NO_SCRAPING;

  let responses = 0;
  // Runs a little past the last sample, so that sample is taken under load.
  const tracker = autocannon({ url: `http://127.0.0.1:${port}/42`, connections: CONNECTIONS, duration: minutes * 60 + 2 });
  tracker.on('response', () => (responses += 1));
  const finished = new Promise((resolve) => tracker.once('done', resolve));
  const startedAt = Date.now();
  const samples = [];
  let responsesBefore = 0;
  for (let seconds = SAMPLE_EVERY_S; seconds <= minutes * 60; seconds += SAMPLE_EVERY_S) {
    await new Promise((resolve) => setTimeout(resolve, startedAt + seconds * 1000 - Date.now()));
    const windowResponses = responses - responsesBefore;
    responsesBefore = responses;
    const sample = await ask(child, 'sample');
    samples.push({ seconds, rps: windowResponses / SAMPLE_EVERY_S, metrics: scraper.latest(), ...sample });
    process.stderr.write(`soak: ${variant.name}, ${seconds} s, RSS ${(sample.rss / MiB).toFixed(1)} MiB, heapUsed ${(sample.heapUsed / MiB).toFixed(1)} MiB\n`);
  }
  const result = await finished;
  const scrapes = scraper.stop();
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));

  // The agent writes its final report at exit.
  const reportFile = fs.readdirSync(scratch).find((name) => /^report-\d+\.json$/.test(name));
  const reportPath = reportFile === undefined ? null : path.join(scratch, reportFile);
  const logPath = path.join(scratch, 'loopwatch.log');
  return {
    name: variant.name,
    scratch,
    samples,
    load: { start: loadAtStart, end: os.loadavg() },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    scrapes,
    report: reportPath === null ? null : { bytes: fs.statSync(reportPath).size, content: JSON.parse(fs.readFileSync(reportPath, 'utf8')) },
    logBytes: fs.existsSync(logPath) ? fs.statSync(logPath).size : null,
  };
}

function commit() {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${hash} + uncommitted changes` : hash;
  } catch {
    return 'unknown (no git)';
  }
}

const mib = (bytes) => (bytes === null ? 'n/a' : (bytes / MiB).toFixed(1));
const signed = (value, digits) => `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
const fmtLoad = (load) => load.map((value) => value.toFixed(2)).join(', ');

/** The samples growth is measured over: from the first after the warm-up (the first at all in a run that short) to the last. */
function measured(samples) {
  const last = samples.at(-1);
  const first = samples.find((sample) => sample.seconds >= WARMUP_S && sample !== last) ?? samples[0];
  return samples.slice(samples.indexOf(first));
}

/**
 * First-to-last growth, and the least-squares slope over every measured sample: one sample caught
 * in a dip or a spike moves the first, not the second.
 */
function growth(run, key) {
  const samples = measured(run.samples);
  const first = samples[0];
  const last = samples.at(-1);
  if (first[key] === null || last[key] === null) return null;
  const points = samples.map((sample) => ({ x: sample.seconds / 60, y: sample[key] / MiB }));
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / points.length;
  const covariance = points.reduce((sum, point) => sum + (point.x - meanX) * (point.y - meanY), 0);
  const variance = points.reduce((sum, point) => sum + (point.x - meanX) ** 2, 0);
  const span = (last.seconds - first.seconds) / 60;
  const mibs = (last[key] - first[key]) / MiB;
  return { from: first[key], to: last[key], mibs, perMinute: span > 0 ? mibs / span : 0, trend: variance > 0 ? covariance / variance : 0 };
}

const runs = [];
for (const variant of variants) runs.push(await soak(variant));

console.log(`\n### Soak: HTTP JSON service under load with a stall a second at ever new sites, ${minutes} min per variant\n`);
const allLoads = runs.flatMap((run) => [run.load.start, run.load.end]);
console.log(
  `node ${process.version}, commit ${commit()}, ${os.cpus().length} cpus, ${CONNECTIONS} connections; load average (1, 5, 15 min) at start ${fmtLoad(runs[0].load.start)}, ` +
    `at end ${fmtLoad(runs.at(-1).load.end)}, highest 1-min seen ${Math.max(...allLoads.map((load) => load[0])).toFixed(2)}`,
);
for (const run of runs) {
  console.log(`\n#### ${run.name}\n`);
  console.log('| time | RSS MiB | heapUsed after GC MiB | heapTotal MiB | external MiB | watchdog heapUsed / heapTotal MiB | /metrics bytes (series) | req/s in window |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const sample of run.samples) {
    const watchdogHeap = sample.watchdogHeapUsed === null ? 'n/a' : `${mib(sample.watchdogHeapUsed)} / ${mib(sample.watchdogHeapTotal)}`;
    const metrics = sample.metrics === null ? 'n/a' : `${sample.metrics.bytes} (${sample.metrics.series})`;
    console.log(
      `| ${clock(sample.seconds)} | ${mib(sample.rss)} | ${mib(sample.heapUsed)} | ${mib(sample.heapTotal)} | ${mib(sample.external)} | ${watchdogHeap} | ${metrics} | ${sample.rps.toFixed(0)} |`,
    );
  }
  const last = run.samples.at(-1);
  console.log('');
  console.log(
    `server: ${last.stallsTriggered} stalls triggered, ${last.unhandledRejections} unhandled rejections, ${last.rejectionsHandledLate} handled late; ` +
      `load: ${run.errors} errors, ${run.timeouts} timeouts, ${run.non2xx} non-2xx; load average at start ${fmtLoad(run.load.start)}, at end ${fmtLoad(run.load.end)}`,
  );
  if (run.report !== null) {
    const report = run.report.content;
    const promises = report.promises ?? {};
    console.log(
      `report: ${report.sites.length} sites, overflow ${report.overflow.sites} sites / ${report.overflow.count} stalls, ${report.summary.stalls} stalls ` +
        `(${report.unattributed.count} unattributed), ${report.stalls.length} stalls kept, ${promises.unhandledRejections?.length ?? 0} rejection entries ` +
        `(+${promises.unhandledOverflow ?? 0} overflow), ${promises.rejectionsHandledLate ?? 0} handled late; file ${run.report.bytes} bytes; log ${run.logBytes} bytes`,
    );
  }
  if (run.scrapes !== null) {
    const { ok, failed, firstError, first, last: lastScrape } = run.scrapes;
    const size = (result) => (result === null ? 'none' : `${result.bytes} bytes / ${result.series} series`);
    console.log(`/metrics: ${ok} scrapes ok, ${failed} failed${firstError === null ? '' : ` (first: ${firstError})`}; first ${size(first)}, last ${size(lastScrape)}`);
  }
  console.log(`scratch folder (report, log, generated sites): ${run.scratch}`);
}

const span = measured(runs[0].samples);
console.log(`\n#### Growth from ${clock(span[0].seconds)} to ${clock(span.at(-1).seconds)} (${span.length} samples)\n`);
console.log('| variant | measure | first MiB | last MiB | growth MiB | MiB/min | trend MiB/min (least squares) |');
console.log('|---|---|---|---|---|---|---|');
const MEASURES = [
  { key: 'rss', label: 'RSS' },
  { key: 'heapUsed', label: 'heapUsed after GC' },
  { key: 'heapTotal', label: 'heapTotal' },
  { key: 'watchdogHeapUsed', label: 'watchdog heapUsed after GC' },
];
for (const run of runs) {
  for (const { key, label } of MEASURES) {
    const entry = growth(run, key);
    if (entry !== null) console.log(`| ${run.name} | ${label} | ${mib(entry.from)} | ${mib(entry.to)} | ${signed(entry.mibs, 1)} | ${signed(entry.perMinute, 2)} | ${signed(entry.trend, 2)} |`);
  }
}
// What the agent adds: its size and its growth beyond the baseline's (the watchdog has no baseline: its row above is all the agent's).
const [base, agent] = runs;
for (const { key, label } of MEASURES.filter((measure) => measure.key !== 'watchdogHeapUsed')) {
  const [withAgent, without] = [growth(agent, key), growth(base, key)];
  console.log(
    `| agent minus no agent | ${label} | ${signed((withAgent.from - without.from) / MiB, 1)} | ${signed((withAgent.to - without.to) / MiB, 1)} | ` +
      `${signed(withAgent.mibs - without.mibs, 1)} | ${signed(withAgent.perMinute - without.perMinute, 2)} | ${signed(withAgent.trend - without.trend, 2)} |`,
  );
}
