import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ESM_TOP_LEVEL_LOG, FIXTURES, blockingLine, runFixture } from '../run-fixture';

/**
 * pbkdf2 iterations, a JSON document, a gzip input: most of these calls last as long as their work,
 * a few hundred ms here, which a fast machine can bring under the default 100 ms threshold. The
 * assertions compare with report.thresholdMs, so a low threshold keeps them about attribution.
 */
const THRESHOLD = { LOOPWATCH_THRESHOLD_MS: '20' };

describe.each([
  ['sync-fs.js', 'fs.writeFileSync', 'sync-api', 'await fs.promises.writeFile(target, blob)'],
  ['sync-crypto.js', 'crypto.pbkdf2Sync', 'sync-api', 'crypto.pbkdf2'],
  ['sync-zlib.js', 'zlib.gzipSync', 'sync-api', 'promisify(zlib.gzip)'],
  ['sync-exec.js', 'child_process.execSync', 'sync-api', 'execFile'],
  ['sync-json.js', 'JSON.parse', 'json', 'streaming parser'],
  ['sync-esm.mjs', 'crypto.pbkdf2Sync', 'sync-api', 'crypto.pbkdf2'],
  // Loaded after loopwatch started, and destructured at once (src/sync-api/builtin-loads.ts).
  ['sync-destructured.js', 'crypto.pbkdf2Sync', 'sync-api', 'crypto.pbkdf2'],
])('%s', (script, api, kind, replacement) => {
  it(`attributes the stall to ${api} at the exact line, with the call's exact duration`, async () => {
    const result = await runFixture(script, { env: THRESHOLD });
    expect(result.code).toBe(0);
    const line = blockingLine(script);
    const site = result.report.sites.find((candidate: any) => candidate.api === api);
    expect(site, JSON.stringify(result.report.sites)).toBeDefined();
    expect(site).toMatchObject({ file: path.join(FIXTURES, script), line, kind });
    // The advice names the non-blocking replacement, and says which pool it runs on where it matters.
    expect(site.suggestion).toContain(replacement);
    const stall = result.report.stalls.find((candidate: any) => candidate.api === api);
    // The call's own duration is measured around the call; the stall is never shorter than it.
    expect(stall.apiCallMs).toBeGreaterThan(result.report.thresholdMs);
    expect(stall.apiCallMs).toBeLessThanOrEqual(stall.durationMs);
    expect(result.report.syncApis[api]).toMatchObject({ calls: expect.any(Number), slowCalls: expect.any(Number) });
    expect(result.report.syncApis[api].slowCalls).toBeGreaterThanOrEqual(1);
    // The ES module blocks in its top-level code, which is start-up where Node says when it ends.
    const during = script.endsWith('.mjs') ? ESM_TOP_LEVEL_LOG : '';
    expect(result.stderr).toMatch(new RegExp(`event loop blocked \\d+ ms${during} in ${api.replace('.', '\\.')} \\(\\d+ ms\\) at .*${path.basename(script)}:${line}`));
  });
});

describe('sync-API timing', () => {
  it('can be turned off: the stall is still timed, but the inspector alone is blind inside the native call', async () => {
    const result = await runFixture('sync-crypto.js', { env: { ...THRESHOLD, LOOPWATCH_SYNC_APIS: 'off' } });
    expect(result.report.syncApis).toBeUndefined();
    expect(result.report.stalls.filter((stall: any) => stall.api !== null)).toEqual([]);
    // pbkdf2Sync runs 250 ms in: a stall before that is the app starting (real on a loaded machine,
    // and likely at a 20 ms threshold). The call's stall is the longest after it (stalls are longest first).
    const stall = result.report.stalls.find((each: any) => Date.parse(each.at) - Date.parse(result.report.startedAt) >= 200);
    expect(stall, JSON.stringify(result.report.stalls)).toBeDefined();
    expect(stall.durationMs).toBeGreaterThan(result.report.thresholdMs);
    // The pause cannot land inside pbkdf2Sync: it lands after it returned (a later line), or,
    // when the process is gone by then, not at all. Never on an earlier line.
    if (stall.site !== null) expect(stall.site.line).toBeGreaterThanOrEqual(blockingLine('sync-crypto.js'));
  });

  it('does not flag the module loader reading the app', async () => {
    const result = await runFixture('library-cpu.js');
    const loaderSites = result.report.sites.filter((site: any) => site.api?.startsWith('fs.'));
    expect(loaderSites).toEqual([]);
  });
});
