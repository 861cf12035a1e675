/**
 * The reports `loopwatch report` was given: files, and directories whose `*.json` files (directly
 * inside, not below) are read. A file named on the command line must be a report (a usage error
 * otherwise, as with one file); in a directory, other JSON files are skipped with a note, since a
 * shared volume holds more than reports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadReport } from './load-report';
import type { MergeInput } from './merge';
import { UsageError } from './usage-error';

export function collectReports(args: readonly string[], note: (line: string) => void): MergeInput[] {
  const inputs: MergeInput[] = [];
  for (const arg of args) {
    if (!isDirectory(arg)) {
      inputs.push({ file: arg, report: loadReport(arg) });
      continue;
    }
    const found = reportsIn(arg, note);
    if (found.length === 0) throw new UsageError(`${arg} holds no loopwatch report (looked for *.json directly inside it)`);
    inputs.push(...found);
  }
  return inputs;
}

function reportsIn(dir: string, note: (line: string) => void): MergeInput[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    throw new UsageError(`cannot read ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const inputs: MergeInput[] = [];
  for (const name of names.filter((candidate) => candidate.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    if (isDirectory(file)) continue;
    try {
      inputs.push({ file, report: loadReport(file) });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      note(error.message.startsWith('cannot read') ? `skipped: ${error.message}` : `skipped ${file}: not a loopwatch report`);
    }
  }
  return inputs;
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    // A missing file is reported by loadReport, with the reason.
    return false;
  }
}
