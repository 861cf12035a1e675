/**
 * `loopwatch demo`: starts the demo service under the preload, drives it for ~10 s with a progress
 * line on stderr, stops it (which writes its report), then prints the terminal report and writes
 * the HTML page.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs, positiveInt } from '../args';
import { PRELOAD } from '../child';
import { loadReport } from '../load-report';
import { terminalSummary, writeHtml } from '../report-command';
import { UsageError } from '../usage-error';
import { driveLoad, type LoadProgress } from './load';
import { ROUTES } from './routes';
import { removeDemoData, writeDemoData } from './data';

/** The service's compiled files, copied out of loopwatch's own folder before they run (see appCopy). */
const SERVICE_FILES = ['server.js', 'handlers.js'];
/** The service prepares ~170 MB of data before it listens. */
const START_TIMEOUT_MS = 60_000;

export async function demoCommand(args: readonly string[]): Promise<number> {
  const { positional, flags } = parseArgs(args, ['html', 'seconds']);
  if (positional.length > 0) throw new UsageError(`demo takes no arguments, got "${positional[0]}"`);
  const seconds = positiveInt(flags, 'seconds', 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-demo-'));
  const reportFile = path.join(dir, 'loopwatch-demo.json');
  const htmlFile = path.resolve(flags.get('html') ?? path.join(dir, 'loopwatch-demo.html'));

  process.stderr.write(`loopwatch demo: starting a service whose routes block in six ways (${ROUTES.join(' ')})\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, LOOPWATCH_REPORT: reportFile, LOOPWATCH_LOG: 'off' };
  delete env.NODE_OPTIONS;
  await writeDemoData(dir);
  const child = fork(appCopy(dir), [dir], { execArgv: ['--require', PRELOAD], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const port = await listening(child, exited);
    process.stderr.write(`loopwatch demo: service on http://127.0.0.1:${port}, sending requests for ${seconds} s\n`);
    const progress = progressPrinter(seconds);
    // One client: with two, two requests could be served in one blocked loop turn, and that stall
    // would name only the longer route (the other route's site could go missing from the report).
    const result = await driveLoad({ port, routes: ROUTES, durationMs: seconds * 1000, concurrency: 1, onProgress: progress.update });
    progress.end();
    process.stderr.write(`loopwatch demo: ${result.requests} requests, ${result.errors} errors, slowest response ${result.slowestMs} ms\n`);
  } finally {
    if (child.connected) child.send({ type: 'stop' });
  }
  const code = await exited;
  await removeDemoData(dir);
  if (code !== 0) throw new Error(`the demo service exited with code ${code}`);

  const report = loadReport(reportFile);
  process.stdout.write('\n' + terminalSummary(report, process.stdout));
  writeHtml(report, htmlFile);
  process.stdout.write(`\nHTML report: ${htmlFile}\nJSON report: ${reportFile}\n`);
  return 0;
}

/**
 * loopwatch never blames its own files (they are not the app), so the service runs from a copy in
 * the demo's folder, where it is app code like any user's. Source-map comments are dropped: the
 * compiled JavaScript is what the report then shows, and it is readable.
 */
function appCopy(dir: string): string {
  const appDir = path.join(dir, 'app');
  fs.mkdirSync(appDir);
  for (const name of SERVICE_FILES) {
    const code = fs.readFileSync(path.join(__dirname, name), 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
    fs.writeFileSync(path.join(appDir, name), code);
  }
  return path.join(appDir, 'server.js');
}

function listening(child: ChildProcess, exited: Promise<number | null>): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('the demo service did not start in time'));
    }, START_TIMEOUT_MS);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type === 'listening' && typeof message.port === 'number') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo service exited before listening (code ${code})`));
    });
  });
}

/** A redrawn bar on a terminal; a line every 2 s otherwise (CI logs). Ends its line when load is done. */
function progressPrinter(seconds: number): { update: (progress: LoadProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let lastStep = -1;
  const update = (progress: LoadProgress): void => {
    // Requests still in flight at the deadline finish after it: the clock shown stops at the deadline.
    const elapsed = Math.min(progress.elapsedMs, seconds * 1000);
    const width = 24;
    const filled = Math.round((elapsed / (seconds * 1000)) * width);
    const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(elapsed / 1000)}/${seconds} s · ${progress.requests} requests · slowest ${progress.slowestMs} ms`;
    if (tty) {
      process.stderr.write(`\r${text}`);
      return;
    }
    const step = Math.floor(elapsed / 2000);
    if (step !== lastStep) {
      lastStep = step;
      process.stderr.write(`${text}\n`);
    }
  };
  return { update, end: () => tty && process.stderr.write('\n') };
}
