import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';

describe.each([
  ['sync-fs.js', 'fs.writeFileSync', 'sync-api', 'await fs.promises.writeFile(target, blob)'],
  ['sync-crypto.js', 'crypto.pbkdf2Sync', 'sync-api', 'crypto.pbkdf2'],
  ['sync-zlib.js', 'zlib.gzipSync', 'sync-api', 'promisify(zlib.gzip)'],
  ['sync-exec.js', 'child_process.execSync', 'sync-api', 'execFile'],
  ['sync-json.js', 'JSON.parse', 'json', 'streaming parser'],
  ['sync-esm.mjs', 'crypto.pbkdf2Sync', 'sync-api', 'crypto.pbkdf2'],
])('%s', (script, api, kind, replacement) => {
  it(`attributes the stall to ${api} at the exact line, with the call's exact duration`, async () => {
    const result = await runFixture(script);
    expect(result.code).toBe(0);
    const line = blockingLine(script);
    const site = result.report.sites.find((candidate: any) => candidate.api === api);
    expect(site, JSON.stringify(result.report.sites)).toBeDefined();
    expect(site).toMatchObject({ file: path.join(FIXTURES, script), line, kind });
    // The advice names the non-blocking replacement, and says which pool it runs on where it matters.
    expect(site.suggestion).toContain(replacement);
    const stall = result.report.stalls.find((candidate: any) => candidate.api === api);
    // The call's own duration is measured around the call; the stall's includes a little more.
    expect(stall.apiCallMs).toBeGreaterThan(result.report.thresholdMs);
    expect(stall.apiCallMs).toBeLessThanOrEqual(stall.durationMs + 15);
    expect(result.report.syncApis[api]).toMatchObject({ calls: expect.any(Number), slowCalls: expect.any(Number) });
    expect(result.report.syncApis[api].slowCalls).toBeGreaterThanOrEqual(1);
    expect(result.stderr).toMatch(new RegExp(`event loop blocked \\d+ ms in ${api.replace('.', '\\.')} \\(\\d+ ms\\) at .*${path.basename(script)}:${line}`));
  });
});

describe('sync-API timing', () => {
  it('can be turned off: the stall is still timed, but the inspector alone is blind inside the native call', async () => {
    const result = await runFixture('sync-crypto.js', { env: { LOOPWATCH_SYNC_APIS: 'off' } });
    expect(result.report.syncApis).toBeUndefined();
    expect(result.report.summary.stalls).toBe(1);
    expect(result.report.stalls[0]).toMatchObject({ api: null });
    expect(result.report.stalls[0].durationMs).toBeGreaterThan(result.report.thresholdMs);
    // The pause cannot land inside pbkdf2Sync: it lands after it returned (a later line), or,
    // when the process is gone by then, not at all. Never on an earlier line.
    const site = result.report.stalls[0].site;
    if (site !== null) expect(site.line).toBeGreaterThanOrEqual(blockingLine('sync-crypto.js'));
  });

  it('does not flag the module loader reading the app', async () => {
    const result = await runFixture('library-cpu.js');
    const loaderSites = result.report.sites.filter((site: any) => site.api?.startsWith('fs.'));
    expect(loaderSites).toEqual([]);
  });
});
