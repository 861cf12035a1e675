/** `loopwatch report <report.json> [--html out.html] [--top n]`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, positiveInt } from './args';
import { paint, shouldColor } from './colors';
import { loadReport, type ReportView } from './load-report';
import { renderTerminal } from './terminal';
import { renderHtml } from './html/render';
import { UsageError } from './usage-error';

export function reportCommand(args: readonly string[]): number {
  const { positional, flags } = parseArgs(args, ['html', 'top']);
  if (positional.length !== 1) throw new UsageError('report needs exactly one report file: loopwatch report <report.json>');
  const report = loadReport(positional[0]!);
  const top = positiveInt(flags, 'top', 10);
  process.stdout.write(terminalSummary(report, process.stdout, top));
  const html = flags.get('html');
  if (html !== undefined) {
    const written = writeHtml(report, html);
    process.stderr.write(`loopwatch: HTML report written to ${written}\n`);
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
  const absolute = path.resolve(target);
  try {
    fs.writeFileSync(absolute, renderHtml(report, { cwd: process.cwd() }));
  } catch (error) {
    throw new UsageError(`cannot write ${absolute}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return absolute;
}
