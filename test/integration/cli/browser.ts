/**
 * Debian's chromium, headless, for the HTML report tests (installed by scripts/ensure-chromium.sh,
 * the `pretest` script). Never downloads a browser; every network feature is off.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../run-fixture';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'];

function chromium(args: string[]): Promise<{ stdout: string }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (npm test does, as pretest)`);
  const profile = tempDir('loopwatch-chromium-');
  return promisify(execFile)(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
}

/** The DOM after the page loaded and ran its script. */
export async function dumpDom(htmlFile: string): Promise<string> {
  return (await chromium(['--dump-dom', `file://${htmlFile}`])).stdout;
}

/** A PNG screenshot of the page at a desktop size. */
export async function screenshot(htmlFile: string): Promise<Buffer> {
  const out = path.join(tempDir('loopwatch-shot-'), 'page.png');
  await chromium([`--screenshot=${out}`, '--window-size=1280,1600', `file://${htmlFile}`]);
  return fs.readFileSync(out);
}
