import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';

describe('advice that keeps the app working', () => {
  it('a function in an entry file that listens moves into its own module before a worker requires it', async () => {
    const file = path.join(FIXTURES, 'advice-listening-entry.js');
    const result = await runFixture('advice-listening-entry.js');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('done\n');
    const site = result.report.sites.find((candidate: any) => candidate.file === file && candidate.line === blockingLine(file));
    expect(site, JSON.stringify({ sites: result.report.sites.map((s: any) => `${s.file}:${s.line}`), unattributed: result.report.unattributed, stderr: result.stderr })).toBeDefined();
    expect(site.suggestion).toMatch(
      /^Move summarize\(\) out of advice-listening-entry\.js into a module of its own first, advice-listening-entry-work\.js next to it: advice-listening-entry\.js is the file the app was started with, and line 14 \(`server\.listen\(0, '127\.0\.0\.1', \(\) => \{`\) looks like it listens/,
    );
    expect(site.suggestion).toContain("const { summarize } = require('./advice-listening-entry-work');");
    expect(site.suggestion).not.toContain("require('./advice-listening-entry')");
  });
});
