/**
 * `loopwatch run -- <command...>`: runs a command with the preload in NODE_OPTIONS (so every Node
 * process it starts is watched), passes stdio and the exit status through, then prints the summary
 * of each report to stderr (stdout stays the command's own).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from './args';
import { reportFiles, withPreload } from './child';
import { loadReport } from './load-report';
import { terminalSummary, writeHtml } from './report-command';
import { UsageError } from './usage-error';

export async function runCommand(args: readonly string[]): Promise<number> {
  const separator = args.indexOf('--');
  if (separator < 0 || separator === args.length - 1) throw new UsageError('run needs a command after --: loopwatch run -- node app.js');
  const { positional, flags } = parseArgs(args.slice(0, separator), ['html']);
  if (positional.length > 0) throw new UsageError(`unexpected "${positional[0]}" before --`);
  const [command, ...commandArgs] = args.slice(separator + 1) as [string, ...string[]];

  const reportSetting = process.env.LOOPWATCH_REPORT ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-run-')), 'report-{pid}.json');
  const child = spawn(command, commandArgs, {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: withPreload(process.env.NODE_OPTIONS), LOOPWATCH_REPORT: reportSetting },
  });
  // The terminal sends Ctrl-C to the whole process group: let the child decide, and stay to summarize.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new UsageError(`command not found: ${command}`) : error),
    );
    child.on('exit', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  });

  summarize(reportSetting, flags.get('html'));
  if (status.signal !== null) {
    // Die of the same signal, as a shell would see the command die of it.
    process.kill(process.pid, status.signal);
    return 128 + (os.constants.signals[status.signal] ?? 0);
  }
  return status.code ?? 1;
}

function summarize(reportSetting: string, html: string | undefined): void {
  const files = reportFiles(reportSetting);
  const reports = files.map((file) => ({ file, report: loadReport(file) }));
  // A wrapper like npm is watched too: show the processes that stalled, or the main one if none did.
  const stalled = reports.filter(({ report }) => report.summary.stalls > 0);
  const shown = stalled.length > 0 ? stalled : reports.slice(-1);
  if (shown.length === 0) {
    process.stderr.write(`loopwatch: no report was written to ${reportSetting} (did the command start a Node process?)\n`);
    return;
  }
  for (const { file, report } of shown) {
    process.stderr.write('\n' + terminalSummary(report, process.stderr));
    process.stderr.write(`loopwatch: JSON report: ${file}\n`);
  }
  if (html !== undefined) {
    const worst = [...shown].sort((a, b) => b.report.summary.totalBlockedMs - a.report.summary.totalBlockedMs)[0]!;
    process.stderr.write(`loopwatch: HTML report written to ${writeHtml(worst.report, html)}\n`);
  }
}
