// Runs every benchmark and writes docs/benchmarks.md with what they printed: the tables of this
// run, on this machine, with its Node version, date and commit. `npm run bench` runs this.
//
//   npm run build && node test/bench/run-all.mjs [--only observer,detection] [--out docs/benchmarks.md]
//
// Nothing here is asserted: the numbers are for reading, and each bench says how it measures.
// docs/benchmark-notes.md holds the method behind each bench and earlier runs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

/** Each bench, the question it answers, and its arguments for a default run. */
const BENCHES = [
  { name: 'startup', title: 'Start-up cost per process', args: [] },
  { name: 'overhead', title: 'HTTP overhead and memory, per capture path', args: [] },
  { name: 'attribution', title: 'Attribution: is the blocking line named?', args: [] },
  { name: 'detection', title: 'Detection and stack-capture latency, per capture path', args: [] },
  { name: 'observer', title: 'Observer effect: does watching a stall make it longer?', args: [] },
  { name: 'sync-wrapper', title: 'Cost of the sync-API wrappers per call', args: [] },
  { name: 'promises', title: 'Promise diagnostics on an await-heavy loop', args: [] },
  { name: 'promises-http', title: 'Promise diagnostics on an HTTP service', args: [] },
];

const { values } = parseArgs({ options: { only: { type: 'string' }, out: { type: 'string', default: path.join(root, 'docs', 'benchmarks.md') } } });
const only = values.only ? new Set(values.only.split(',')) : null;

const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim() || 'unknown';
const header = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` (test/bench/run-all.mjs) on ${new Date().toISOString().slice(0, 10)}: commit \`${commit}\`,`,
  `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB,`,
  `load average at the start ${os.loadavg().map((load) => load.toFixed(2)).join(', ')}. Each section is one bench's own output;`,
  'how each one measures, and earlier runs, are in [benchmark-notes.md](benchmark-notes.md). Nothing',
  'here is asserted by a test: these machines are shared and noisy.',
  '',
];

const sections = [];
for (const bench of BENCHES) {
  if (only !== null && !only.has(bench.name)) continue;
  const script = path.join(here, `${bench.name}.mjs`);
  const started = Date.now();
  console.error(`bench: ${bench.name}...`);
  const result = spawnSync(process.execPath, [script, ...bench.args], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const output = (result.stdout ?? '').trim();
  const status = result.status === 0 ? '' : `\n\n**The bench failed** (exit ${result.status ?? result.signal}):\n\n\`\`\`\n${(result.stderr ?? '').trim().split('\n').slice(-15).join('\n')}\n\`\`\``;
  sections.push(`## ${bench.title}\n\n\`node test/bench/${bench.name}.mjs\`, ${seconds} s.\n\n${output}${status}\n`);
  process.stdout.write(`${output}\n`);
}

fs.writeFileSync(values.out, `${header.join('\n')}\n${sections.join('\n')}`);
console.error(`bench: wrote ${path.relative(root, values.out)}`);
