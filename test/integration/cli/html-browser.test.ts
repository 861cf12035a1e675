import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFixture, tempDir } from '../run-fixture';
import { dumpDom, screenshot } from './browser';
import { distinctColours } from './png';
import { runCli } from './run-cli';

let htmlFile: string;
let report: any;

beforeAll(async () => {
  // The regex fixture stalls for about a second: long enough to be re-sampled during the stall.
  const run = await runFixture('regex.js');
  expect(run.report, run.stderr).not.toBeNull();
  report = run.report;
  htmlFile = path.join(tempDir(), 'report.html');
  const cli = await runCli(['report', run.reportPath, '--html', htmlFile]);
  expect(cli.code, cli.stderr).toBe(0);
}, 120_000);

describe('the HTML report in headless Chromium', () => {
  it('renders the sites table, the stacks, the samples and the advice', async () => {
    const dom = await dumpDom(htmlFile);
    const site = report.sites[0];
    const table = /<table id="sites">[\s\S]*?<\/table>/.exec(dom)?.[0];
    expect(table, 'sites table').toBeDefined();
    expect(table).toContain(`test/integration/fixtures/regex.js:${site.line}`);
    expect(table).toContain('>regex<');
    expect(dom).toContain('Stack of the worst occurrence');
    for (const frame of site.stack) expect(dom).toContain(`>${frame.function.replace(/[<>&]/g, '')} <span class="where">`);
    const longest = report.stalls[0];
    expect(longest.samples.length).toBeGreaterThan(0);
    const index = report.sites.findIndex((candidate: any) => candidate.file === longest.site.file && candidate.line === longest.site.line);
    const section = new RegExp(`<section class="site" id="site-${index + 1}">[\\s\\S]*?</section>`).exec(dom)?.[0];
    expect(section?.match(/<details class="sample">/g)?.length).toBe(longest.samples.length);
    expect(dom).toContain('/^(a+)+$/');
    expect(dom).toMatch(/<svg viewBox="[^"]+" role="img" aria-label="stalls over time">[\s\S]*<rect/);
  });

  it('the screenshot is a rendered page, not a blank one', async () => {
    const png = await screenshot(htmlFile);
    // A blank or failed page is one colour; text, badges, code blocks and bars give hundreds.
    expect(distinctColours(png)).toBeGreaterThan(50);
  });

  it('the screenshot check itself fails on an empty page', async () => {
    const blank = path.join(tempDir(), 'blank.html');
    fs.writeFileSync(blank, '<!doctype html><html><body style="background:#fff"></body></html>');
    expect(distinctColours(await screenshot(blank))).toBe(1);
  });
});
