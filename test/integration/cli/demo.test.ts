import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../run-fixture';
import { runCli } from './run-cli';

describe('loopwatch demo', () => {
  it('drives the built-in service, prints the report and writes the HTML page', async () => {
    const html = path.join(tempDir(), 'demo.html');
    const result = await runCli(['demo', '--seconds', '6', '--html', html], {}, 120_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/\[#+\.*\] \d+\/6 s · \d+ requests/);
    expect(result.stdout).toContain(`HTML report: ${html}`);
    expect(fs.readFileSync(html, 'utf8')).toContain('<table id="sites">');
    const reportFile = /JSON report: (.*)/.exec(result.stdout)?.[1];
    const report = JSON.parse(fs.readFileSync(reportFile!, 'utf8'));
    const byFunction = new Map<string, any>(report.sites.map((site: any) => [site.function, site]));
    // One site per way the service blocks, each with its own kind and advice.
    // On failure, say what each site measured: a missing site is a handler that ran under the threshold.
    const measured = JSON.stringify({ sites: report.sites.map((site: any) => [site.function, site.count, site.maxMs]), unattributed: report.unattributed });
    expect([...byFunction.keys()].sort(), measured).toEqual(expect.arrayContaining(['compressExport', 'countPrimes', 'hashPassword', 'parseCatalog', 'readConfig', 'validateUsername']));
    expect(byFunction.get('readConfig')).toMatchObject({ api: 'fs.readFileSync', kind: 'sync-api' });
    expect(byFunction.get('readConfig').suggestion).toContain('await fs.promises.readFile(data.configFile');
    expect(byFunction.get('hashPassword')).toMatchObject({ api: 'crypto.pbkdf2Sync', kind: 'sync-api' });
    expect(byFunction.get('compressExport')).toMatchObject({ api: 'zlib.gzipSync', kind: 'sync-api' });
    expect(byFunction.get('parseCatalog')).toMatchObject({ api: 'JSON.parse', kind: 'json' });
    expect(byFunction.get('countPrimes')).toMatchObject({ api: null, kind: 'cpu' });
    expect(byFunction.get('countPrimes').suggestion).toContain("const { countPrimes } = require('./handlers');");
    expect(byFunction.get('validateUsername')).toMatchObject({ kind: 'regex' });
    expect(byFunction.get('validateUsername').suggestion).toContain('/^(\\w+\\s?)+$/');
    // The terminal report shows the blocking lines themselves.
    expect(result.stdout).toContain('> ');
    expect(result.stdout).toContain("crypto.pbkdf2Sync(password, salt, 450_000, 64, 'sha512')");
  }, 150_000);
});
