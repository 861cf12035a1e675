import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture, tempDir } from '../run-fixture';
import { runCli } from './run-cli';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;
let cpuReport: string;
let regexReport: string;

beforeAll(async () => {
  const cpu = await runFixture('cpu-timer.js');
  const regex = await runFixture('regex.js');
  expect(cpu.report).not.toBeNull();
  expect(regex.report).not.toBeNull();
  cpuReport = cpu.reportPath;
  regexReport = regex.reportPath;
});

describe('loopwatch report <report.json>', () => {
  it('prints the site, its source line with context, and advice naming the function', async () => {
    const result = await runCli(['report', cpuReport]);
    expect(result.code, result.stderr).toBe(0);
    // The line the watchdog named (the loop's body or its condition): the CLI must show that one.
    const { line } = JSON.parse(fs.readFileSync(cpuReport, 'utf8')).sites[0];
    expect(Math.abs(line - blockingLine('cpu-timer.js'))).toBeLessThanOrEqual(1);
    const source = fs.readFileSync(path.join(FIXTURES, 'cpu-timer.js'), 'utf8').split('\n');
    expect(result.stdout).toContain(`test/integration/fixtures/cpu-timer.js:${line} spin()`);
    expect(result.stdout).toContain(`> ${line} │ ${source[line - 1]}`);
    expect(result.stdout).toContain(`  ${line - 1} │ ${source[line - 2]}`);
    expect(result.stdout).toContain(`  ${line + 1} │ ${source[line]}`);
    // cpu-timer.js is the entry and starts a timer at its top level: the advice moves spin() out first.
    expect(result.stdout).toContain("const { spin } = require('./cpu-timer-work');");
    expect(result.stdout).toMatch(/1 stall · max \d+ ms · kind cpu/);
    expect(result.stdout).not.toMatch(ANSI);
  });

  it('a regex site: kind regex and the pattern with why it backtracks', async () => {
    const result = await runCli(['report', regexReport]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('kind regex');
    expect(result.stdout).toContain('/^(a+)+$/');
    expect(result.stdout).toContain('`(a+)+`');
  });

  it('a long chain of awaits: kind microtasks, advice to yield with setImmediate in batches', async () => {
    const run = await runFixture('cli-microtasks.js');
    expect(run.report, run.stderr).not.toBeNull();
    // The await line; or, when every native capture of the stall landed as drain() resumed after an
    // await (V8 reports its first line then, see src/stack/entry-position.ts), drain's own line.
    const lines = [blockingLine('cli-microtasks.js'), blockingLine('cli-microtasks.js', 'ASYNC FUNCTION')];
    const site = run.report.sites.find((candidate: any) => lines.includes(candidate.line) && candidate.function === 'drain');
    expect(site, JSON.stringify(run.report.sites)).toBeDefined();
    expect(site.kind).toBe('microtasks');
    const result = await runCli(['report', run.reportPath]);
    expect(result.stdout).toContain(`cli-microtasks.js:${site.line} drain()`);
    expect(result.stdout).toContain('kind microtasks');
    expect(result.stdout).toContain("const { setImmediate: nextTurn } = require('node:timers/promises');");
  });

  it('a sync child process: the api, and the user line rewritten with promisified execFile', async () => {
    const run = await runFixture('cli-exec-sync.js');
    const site = run.report?.sites.find((candidate: any) => candidate.api === 'child_process.execFileSync');
    expect(site, JSON.stringify(run.report?.sites)).toBeDefined();
    expect(site).toMatchObject({ line: blockingLine('cli-exec-sync.js'), kind: 'sync-api' });
    const result = await runCli(['report', run.reportPath]);
    expect(result.stdout).toContain("const out = (await execFileAsync(process.execPath, ['-e', 'setTimeout(() => {}, 300)'])).stdout;");
    expect(result.stdout).toContain('child_process.execFileSync freezes the event loop');
  });

  it('colours only when asked on a pipe (FORCE_COLOR), never with NO_COLOR', async () => {
    expect((await runCli(['report', cpuReport], { FORCE_COLOR: '1' })).stdout).toMatch(ANSI);
    expect((await runCli(['report', cpuReport], { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toMatch(ANSI);
  });

  it('--html writes one self-contained page with the sites table, stacks and advice, everything escaped', async () => {
    const out = path.join(tempDir(), 'report.html');
    const result = await runCli(['report', regexReport, '--html', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`HTML report written to ${out}`);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('<table id="sites">');
    expect(html).toContain('Stack of the worst occurrence');
    expect(html).toContain('listOnTimeout');
    expect(html).toContain('What to do');
    // No network: no external URL in src/href attributes.
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    // The source line holds `<`/`>`-free code here, but the regex has `$` and `(`: escaped apostrophes prove escaping ran.
    expect(html).toContain('&#39;');
  });

  it('a hostile report cannot inject markup', async () => {
    const report = JSON.parse(fs.readFileSync(cpuReport, 'utf8'));
    report.sites[0].function = '<img src=x onerror=alert(1)>';
    report.sites[0].suggestion = 'Use </p><script>alert(2)</script> now';
    const file = path.join(tempDir(), 'hostile.json');
    fs.writeFileSync(file, JSON.stringify(report));
    const out = path.join(path.dirname(file), 'hostile.html');
    expect((await runCli(['report', file, '--html', out])).code).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert(2)');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });
});

describe('usage errors: one line, exit code 2', () => {
  it('no command: the usage on stderr, exit code 2; --help: on stdout, exit code 0', async () => {
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^usage:\n {2}loopwatch report/);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('loopwatch demo');
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['report'], /needs a report file or a directory of them/],
    [['report', '/nonexistent/report.json'], /cannot read \/nonexistent\/report\.json: ENOENT/],
    [['report', path.join(FIXTURES, 'package.json')], /is not a loopwatch report/],
    [['report', 'x.json', '--colour'], /unknown option --colour/],
    [['run', 'node'], /run needs a command after --/],
  ])('%j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
