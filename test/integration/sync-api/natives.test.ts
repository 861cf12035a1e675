import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, blockingLine, runFixture } from '../run-fixture';

/**
 * Native calls that are not `*Sync` APIs (src/sync-api/natives.ts). Without their wrappers, a
 * capture lands only after the call returned: the stall is named by a Node line or a later one.
 * Each fixture blocks a few hundred ms in one call; a low threshold keeps the tests about
 * attribution on a fast machine.
 */
const THRESHOLD = { LOOPWATCH_THRESHOLD_MS: '20' };

const CASES: Array<[string, string, string]> = [
  ['native-structured-clone.js', 'structuredClone', 'transfer'],
  ['native-base64.js', 'Buffer#toString', 'StringDecoder'],
  ['native-hash.js', 'crypto.Hash#update', 'crypto.subtle.digest'],
  ['native-text-decoder.js', 'TextDecoder#decode', 'stream: true'],
  ['native-atomics-wait.js', 'Atomics.wait', 'Atomics.waitAsync'],
  ['native-crc32.js', 'zlib.crc32', 'crc = zlib.crc32(chunk, crc)'],
  // node:v8 is wrapped when the app loads it (src/sync-api/builtin-loads.ts); an ES module's named
  // import follows the wrap.
  ['native-v8-serialize.js', 'v8.serialize', 'Serialize less'],
  ['native-v8-serialize.mjs', 'v8.serialize', 'Serialize less'],
];

describe.each(CASES)('%s', (script, api, advice) => {
  it(`names the app line that called ${api}, never a Node frame`, async () => {
    const result = await runFixture(script, { env: THRESHOLD });
    expect(result.code, result.stderr).toBe(0);
    const line = blockingLine(script);
    const site = result.report.sites.find((candidate: any) => candidate.api === api);
    expect(site, JSON.stringify(result.report.sites)).toBeDefined();
    expect(site).toMatchObject({ file: path.join(FIXTURES, script), line, kind: 'sync-api' });
    expect(site.suggestion).toContain(advice);
    const stall = result.report.stalls.find((candidate: any) => candidate.api === api);
    expect(stall.site).toMatchObject({ file: path.join(FIXTURES, script), line });
    expect(stall.apiCallMs).toBeGreaterThan(result.report.thresholdMs);
    expect(stall.apiCallMs).toBeLessThanOrEqual(stall.durationMs);
    expect(result.report.syncApis[api].slowCalls).toBeGreaterThanOrEqual(1);
    const escaped = api.replace(/[.#]/g, '\\$&');
    expect(result.stderr).toMatch(new RegExp(`event loop blocked \\d+ ms in ${escaped} \\(\\d+ ms\\) at .*${path.basename(script)}:${line}`));
    // The rule of issue 12: a frame inside Node is never a stall's site.
    for (const each of [...result.report.sites, ...result.report.stalls.map((s: any) => s.site).filter(Boolean)]) {
      expect(each.file, JSON.stringify(each)).not.toMatch(/^node:/);
    }
  });
});

describe('native-call wrappers', () => {
  it('are off with LOOPWATCH_SYNC_APIS=false: the call is not named', async () => {
    const result = await runFixture('native-base64.js', { env: { ...THRESHOLD, LOOPWATCH_SYNC_APIS: 'false' } });
    expect(result.code).toBe(0);
    expect(result.report.syncApis).toBeUndefined();
    expect(result.report.stalls.filter((stall: any) => stall.api !== null)).toEqual([]);
  });
});
