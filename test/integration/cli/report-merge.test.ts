import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFixture, tempDir } from '../run-fixture';
import { runCli } from './run-cli';

// Two processes of one app, as a cluster's workers would be: one report named, one in a directory
// of a shared volume that holds other JSON too.
let dir: string;
let first: any;
let second: any;

beforeAll(async () => {
  const [a, b] = await Promise.all([runFixture('cpu-timer.js'), runFixture('cpu-timer.js')]);
  expect(a.report, a.stderr).not.toBeNull();
  expect(b.report, b.stderr).not.toBeNull();
  first = a.report;
  second = b.report;
  dir = tempDir();
  fs.copyFileSync(a.reportPath, path.join(dir, 'a.json'));
  fs.mkdirSync(path.join(dir, 'volume'));
  fs.copyFileSync(b.reportPath, path.join(dir, 'volume', 'b.json'));
  fs.writeFileSync(path.join(dir, 'volume', 'settings.json'), '{"not": "a report"}');
  fs.writeFileSync(path.join(dir, 'volume', 'notes.txt'), 'not JSON at all');
  fs.mkdirSync(path.join(dir, 'empty'));
}, 60_000);

describe('loopwatch report a.json dir/: one report from many processes', () => {
  it('merges the site over both processes, names them, writes HTML and a merged JSON that loads again', async () => {
    const html = path.join(dir, 'merged.html');
    const json = path.join(dir, 'merged.json');
    const a = path.join(dir, 'a.json');
    const volume = path.join(dir, 'volume');
    const result = await runCli(['report', a, volume, '--html', html, '--merged-json', json]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`merged from 2 reports (pids ${first.pid}, ${second.pid})`);
    expect(result.stdout).toContain(`pid ${second.pid} · ${path.join(volume, 'b.json')}`);
    const site = first.sites[0];
    expect(result.stdout).toContain(`test/integration/fixtures/cpu-timer.js:${site.line} spin()`);
    expect(result.stdout).toMatch(/2 stalls · max \d+ ms · kind cpu · in 2 processes/);
    expect(result.stdout).toContain(`2 stalls, `);
    // The other JSON in the directory is skipped with a note; files that are not *.json are not read.
    expect(result.stderr).toContain(`loopwatch: skipped ${path.join(volume, 'settings.json')}: not a loopwatch report`);
    expect(result.stderr).not.toContain('notes.txt');

    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain(`merged from 2 reports (pids ${first.pid}, ${second.pid})`);
    expect(page).toContain('<table id="processes">');
    expect(page).toContain(`<td class="num">${first.pid}</td>`);
    expect(page).toContain(`<td class="num">${second.pid}</td>`);
    expect(page).toContain('· in 2 processes');

    const merged = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(merged.schema).toBe('loopwatch/report@1');
    expect(merged.merged.processes.map((p: any) => p.pid)).toEqual([first.pid, second.pid]);
    expect(merged.summary.stalls).toBe(first.summary.stalls + second.summary.stalls);
    const again = await runCli(['report', json]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`merged from 2 reports (pids ${first.pid}, ${second.pid})`);
  });

  it('one report, even through a directory, reads as it always did', async () => {
    const result = await runCli(['report', path.join(dir, 'volume')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`pid ${second.pid} · node`);
    expect(result.stdout).not.toContain('merged from');
  });

  it('a directory with no report is a usage error that says so', async () => {
    const empty = path.join(dir, 'empty');
    const result = await runCli(['report', path.join(dir, 'a.json'), empty]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`loopwatch: ${empty} holds no loopwatch report (looked for *.json directly inside it)`);
  });
});
