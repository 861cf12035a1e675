/**
 * `loopwatch report <report.json|dir>... [--html out.html] [--top n] [--merged-json out.json]`.
 * One report is shown as it is; several (or a directory of them) are merged first (merge.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, positiveInt } from './args';
import { paint, shouldColor } from './colors';
import type { ReportView } from './load-report';
import { collectReports } from './report-inputs';
import { mergeReports } from './merge';
import { mergedReportJson } from './merged-json';
import { renderTerminal } from './terminal';
import { renderHtml } from './html/render';
import { UsageError } from './usage-error';

export function reportCommand(args: readonly string[]): number {
  const { positional, flags } = parseArgs(args, ['html', 'top', 'merged-json']);
  if (positional.length === 0) throw new UsageError('report needs a report file or a directory of them: loopwatch report <report.json|dir>...');
  const top = positiveInt(flags, 'top', 10);
  const inputs = collectReports(positional, (line) => process.stderr.write(`loopwatch: ${line}\n`));
  const report = inputs.length === 1 ? inputs[0]!.report : mergeReports(inputs);
  process.stdout.write(terminalSummary(report, process.stdout, top));
  const html = flags.get('html');
  if (html !== undefined) {
    const written = writeHtml(report, html);
    process.stderr.write(`loopwatch: HTML report written to ${written}\n`);
  }
  const json = flags.get('merged-json');
  if (json !== undefined) {
    // One input is written as a merge of one, so the file always has `merged.processes`.
    const written = writeFile(json, mergedReportJson(report.merged !== undefined ? report : mergeReports(inputs)));
    process.stderr.write(`loopwatch: merged JSON report written to ${written}\n`);
  }
  return 0;
}

export function terminalSummary(report: ReportView, stream: NodeJS.WriteStream, top = 10): string {
  return renderTerminal(report, {
    paint: paint(shouldColor(stream, process.env)),
    cwd: process.cwd(),
    top,
    width: Math.min(Math.max(stream.columns ?? 100, 60), 120),
  });
}

/** Writes the HTML page and returns its absolute path. */
export function writeHtml(report: ReportView, target: string): string {
  return writeFile(target, renderHtml(report, { cwd: process.cwd() }));
}

function writeFile(target: string, text: string): string {
  const absolute = path.resolve(target);
  try {
    fs.writeFileSync(absolute, text);
  } catch (error) {
    throw new UsageError(`cannot write ${absolute}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return absolute;
}
