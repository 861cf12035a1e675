/**
 * LOOPWATCH_REPORT naming something that is not a regular file. Only a regular file is ever
 * replaced: a FIFO or a folder there is refused with one warning and left as it was (the atomic
 * rename used to turn them, /dev/null included when run as root, into a regular 0600 file); a
 * symlink is followed to its target. Every case where no report will be written is said.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFixture, tempDir } from '../run-fixture';

const warnings = (stderr: string): string[] => stderr.split('\n').filter((line) => line.includes('[LOOPWATCH_'));

async function runWithReport(reportPath: string) {
  const result = await runFixture('cpu-timer.js', { env: { LOOPWATCH_REPORT: reportPath } });
  expect(result.code).toBe(0);
  expect(result.stdout).toBe('done\n');
  return result;
}

describe('LOOPWATCH_REPORT that is not a regular file', () => {
  it('a FIFO: one warning at start-up, and the FIFO is still a FIFO', async () => {
    const fifo = path.join(tempDir(), 'report.fifo');
    execFileSync('mkfifo', [fifo]);
    const result = await runWithReport(fifo);
    expect(warnings(result.stderr)).toEqual([expect.stringMatching(/\[LOOPWATCH_REPORT_UNWRITABLE\].*report\.fifo is a FIFO, not a regular file\); no report will be written/)]);
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a folder: one warning at start-up, and the folder is untouched', async () => {
    const folder = path.join(tempDir(), 'reports');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'keep.txt'), 'mine\n');
    const result = await runWithReport(folder);
    expect(warnings(result.stderr)).toEqual([expect.stringMatching(/\[LOOPWATCH_REPORT_UNWRITABLE\].*reports is a folder, not a regular file/)]);
    expect(fs.readdirSync(folder)).toEqual(['keep.txt']);
  });

  it('a symlink: the report is written to its target, in the target’s folder, and the link stays a link', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'real'));
    const target = path.join(dir, 'real', 'report.json');
    fs.writeFileSync(target, '{}\n');
    const link = path.join(dir, 'report-link.json');
    fs.symlinkSync(target, link);
    const result = await runWithReport(link);
    expect(warnings(result.stderr)).toEqual([]);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(fs.readFileSync(target, 'utf8')).schema).toBe('loopwatch/report@1');
    expect(fs.readdirSync(dir).sort()).toEqual(['real', 'report-link.json']);
  });

  it('a folder that refuses new files although it looks writable (/proc): one warning at start-up', async () => {
    const result = await runWithReport('/proc/loopwatch-report.json');
    expect(warnings(result.stderr)).toEqual([expect.stringMatching(/\[LOOPWATCH_REPORT_UNWRITABLE\].*\/proc\/loopwatch-report\.json.*no report will be written/)]);
    expect(fs.existsSync('/proc/loopwatch-report.json')).toBe(false);
  });
});
