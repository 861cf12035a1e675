#!/usr/bin/env node
/**
 * The `loopwatch` command:
 *
 *     loopwatch report loopwatch.json [--html report.html] [--top 10]
 *     loopwatch report a.json b.json reports/ [--merged-json merged.json]
 *     loopwatch run -- node app.js
 *     loopwatch demo
 *
 * Unlike the preload, the CLI may fail loudly: a mistake in how it was called is one line on
 * stderr and exit code 2.
 */
import { UsageError } from './usage-error';
import { reportCommand } from './report-command';
import { runCommand } from './run';
import { demoCommand } from './demo';

const USAGE = `usage:
  loopwatch report <report.json> [--html <out.html>] [--top <n>]   summarize a JSON report
  loopwatch report <a.json> <b.json> <dir>... [--merged-json <out.json>]
                                                                   merge the reports of several processes
  loopwatch run [--html <out.html>] -- <command...>                 run a Node command under loopwatch, then summarize
  loopwatch demo [--html <out.html>] [--seconds <n>]                a built-in service that blocks in several ways`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'report':
      return reportCommand(rest);
    case 'run':
      return runCommand(rest);
    case 'demo':
      return demoCommand(rest);
    case undefined:
      // Called with nothing: a usage mistake, so the usage goes to stderr with exit code 2.
      process.stderr.write(USAGE + '\n');
      return 2;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return 0;
    default:
      throw new UsageError(`unknown command "${command}" (expected report, run or demo; see loopwatch --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`loopwatch: ${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`loopwatch: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
